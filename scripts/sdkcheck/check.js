#!/usr/bin/env node
// Compatibility check: drives the real Stormpath Node SDK (stormpath 0.20.x)
// against a running Keystorm server and reports one line per step.
//
// Setup:  npm ci --prefix scripts/sdkcheck
// Run:    node scripts/sdkcheck/check.js
//
// Environment:
//   KEYSTORM_SDK_BASE_URL          e.g. http://127.0.0.1:3000/v1 (hrefs the server
//                              returns must start with exactly this string)
//   KEYSTORM_API_KEY_ID        admin API key id of the tenant
//   KEYSTORM_API_KEY_SECRET    admin API key secret
//   KEYSTORM_APPLICATION_HREF  href of an application of that tenant
//   KEYSTORM_SDKCHECK_KEEP     if set to 1, the account and group created by
//                              the run are not deleted at the end
//   KEYSTORM_SDKCHECK_TIMEOUT_MS  per-step timeout (default 20000)
//
// Output: "ok <step>" or "FAIL <step>: <reason>" per step, then
// "N passed, N failed". Exit status 1 when any step failed.
'use strict';

var crypto = require('crypto');
var stormpath = require('stormpath');

var STEP_TIMEOUT_MS = parseInt(process.env.KEYSTORM_SDKCHECK_TIMEOUT_MS, 10) || 20000;

var passed = 0;
var failed = 0;
var currentStep = null; // { name, reject } of the step running now

function describe(err) {
  if (!err) {
    return 'unknown error';
  }
  if (typeof err === 'string') {
    return err;
  }
  var parts = [];
  if (err.status) {
    parts.push('HTTP ' + err.status);
  }
  if (err.code) {
    parts.push('code ' + err.code);
  }
  if (err.method && err.url) {
    parts.push(err.method + ' ' + err.url);
  }
  var msg = err.developerMessage || err.userMessage || err.message || String(err);
  parts.push(msg);
  return parts.join(', ').replace(/\s+/g, ' ');
}

// The SDK sometimes throws inside its own asynchronous callbacks (for example
// when it cannot decrypt an API key secret). Attribute such a throw to the
// step that is running instead of letting it kill the process.
process.on('uncaughtException', function(err) {
  if (currentStep) {
    currentStep.reject(new Error('uncaught exception in SDK: ' + describe(err)));
    return;
  }
  console.log('FAIL internal: uncaught exception: ' + describe(err));
  failed++;
  console.log(passed + ' passed, ' + failed + ' failed');
  process.exit(1);
});

function step(name, fn) {
  return new Promise(function(resolve) {
    var settled = false;
    var timer = null;

    function finish(err, value) {
      if (settled) {
        return;
      }
      settled = true;
      clearTimeout(timer);
      currentStep = null;
      if (err) {
        failed++;
        console.log('FAIL ' + name + ': ' + describe(err));
        resolve(undefined);
      } else {
        passed++;
        console.log('ok ' + name);
        resolve(value === undefined ? true : value);
      }
    }

    currentStep = { name: name, reject: function(err) { finish(err); } };
    timer = setTimeout(function() {
      finish(new Error('timed out after ' + STEP_TIMEOUT_MS + ' ms'));
    }, STEP_TIMEOUT_MS);

    Promise.resolve()
      .then(fn)
      .then(function(value) { finish(null, value); }, function(err) { finish(err || new Error('failed')); });
  });
}

// Skip a step whose prerequisite failed: it counts as failed, with the reason.
function needs(values, names) {
  for (var i = 0; i < values.length; i++) {
    if (!values[i]) {
      throw new Error('skipped: prerequisite "' + names[i] + '" failed');
    }
  }
}

function call(obj, method /* , args... */) {
  var args = Array.prototype.slice.call(arguments, 2);
  return new Promise(function(resolve, reject) {
    args.push(function(err, result) {
      if (err) {
        reject(err);
      } else {
        resolve(result);
      }
    });
    obj[method].apply(obj, args);
  });
}

// fetchText GETs a URL on loopback and resolves with the body of a 200.
function fetchText(url) {
  return new Promise(function(resolve, reject) {
    require('http').get(url, function(res) {
      var body = '';
      res.setEncoding('utf8');
      res.on('data', function(d) { body += d; });
      res.on('end', function() {
        if (res.statusCode !== 200) {
          return reject(new Error('GET ' + url + ': ' + res.statusCode));
        }
        resolve(body);
      });
    }).on('error', reject);
  });
}

// Reads every item of a collection resource, following the SDK's own paging.
function allItems(collection) {
  return new Promise(function(resolve, reject) {
    if (!collection || !Array.isArray(collection.items)) {
      return reject(new Error('response is not a collection (no items array)'));
    }
    var items = [];
    collection.each(function(item, next) {
      items.push(item);
      next();
    }, function(err) {
      if (err) {
        reject(err);
      } else {
        resolve(items);
      }
    });
  });
}

function check(cond, message) {
  if (!cond) {
    throw new Error(message);
  }
}

function hasLink(resource, name) {
  return resource && resource[name] && typeof resource[name].href === 'string';
}

function main() {
  var env = {
    baseUrl: process.env.KEYSTORM_SDK_BASE_URL,
    id: process.env.KEYSTORM_API_KEY_ID,
    secret: process.env.KEYSTORM_API_KEY_SECRET,
    appHref: process.env.KEYSTORM_APPLICATION_HREF
  };
  var missing = [
    ['KEYSTORM_SDK_BASE_URL', env.baseUrl],
    ['KEYSTORM_API_KEY_ID', env.id],
    ['KEYSTORM_API_KEY_SECRET', env.secret],
    ['KEYSTORM_APPLICATION_HREF', env.appHref]
  ].filter(function(pair) { return !pair[1]; }).map(function(pair) { return pair[0]; });
  if (missing.length) {
    console.log('FAIL config: missing environment variable(s) ' + missing.join(', '));
    console.log('0 passed, 1 failed');
    process.exit(1);
  }

  var client = new stormpath.Client({
    apiKey: { id: env.id, secret: env.secret },
    baseUrl: env.baseUrl,
    authenticationScheme: 'BASIC',
    // No local cache: every read must reach the server.
    cacheOptions: { store: 'disabled' }
  });
  client.on('error', function(err) {
    console.log('FAIL client: ' + describe(err));
    failed++;
    console.log(passed + ' passed, ' + failed + ' failed');
    process.exit(1);
  });

  var runId = Date.now().toString(36) + '-' + crypto.randomBytes(4).toString('hex');
  var email = 'sdkcheck-' + runId + '@example.com';
  var password = 'Sup3r-Secret!pass';
  var field = 'sdkcheckColor';
  var fieldValue = 'teal-' + runId;

  var app, account, customData, group, membership, apiKey, keyId;

  return step('getApplication', function() {
    return call(client, 'getApplication', env.appHref).then(function(a) {
      check(a && a.href, 'no application returned');
      ['accounts', 'groups', 'apiKeys'].forEach(function(link) {
        check(hasLink(a, link), 'application has no "' + link + '" link');
      });
      app = a;
    });
  }).then(function() {
    return step('createAccount', function() {
      needs([app], ['getApplication']);
      return call(app, 'createAccount', {
        givenName: 'Sdk',
        surname: 'Check',
        email: email,
        password: password
      }).then(function(a) {
        check(a && a.href, 'no account href in response');
        check(String(a.email).toLowerCase() === email, 'email is ' + a.email + ', want ' + email);
        check(!('password' in a), 'response contains a password field');
        ['customData', 'groups', 'apiKeys'].forEach(function(link) {
          check(hasLink(a, link), 'account has no "' + link + '" link');
        });
        account = a;
      });
    });
  }).then(function() {
    return step('authenticateAccount', function() {
      needs([app, account], ['getApplication', 'createAccount']);
      // The SDK posts a basic login attempt to the application's
      // loginAttempts link with expand=account.
      return call(app, 'authenticateAccount', { username: email, password: password }).then(function(result) {
        check(result && result.account && result.account.href === account.href,
          'authenticated as ' + JSON.stringify(result && result.account && result.account.href) + ', want the new account');
        check(String(result.account.email).toLowerCase() === email, 'the expanded account has email ' + result.account.email);
        return call(app, 'authenticateAccount', { username: email, password: password + 'x' }).then(function() {
          throw new Error('a wrong password authenticated');
        }, function(err) {
          check(err && err.status === 400 && err.code === 7100, 'wrong password: ' + describe(err) + ', want 400/7100');
        });
      });
    });
  }).then(function() {
    return step('createAccount with passwordFormat MCF', function() {
      needs([app], ['getApplication']);
      // An imported password hash, as Stormpath's docs show it: the SDK
      // puts the option in the query (passwordFormat=MCF). The hash is
      // Stormpath's published stormpath2 vector for "123456".
      var imported;
      return call(app, 'createAccount', {
        givenName: 'Sdk',
        surname: 'Import',
        email: 'import-' + email,
        password: '$stormpath2$MD5$1$OWI3OTQwYjEwODEwOTdkNTcwZDY5NjQ2ZDNlNmZjNzM=$ULWTW74NXPyLYj3VfYHWrg=='
      }, { passwordFormat: 'MCF' }).then(function(a) {
        check(a && a.href, 'no account href in response');
        check(!('password' in a), 'response contains a password field');
        imported = a;
        return call(app, 'authenticateAccount', { username: 'import-' + email, password: '123456' });
      }).then(function(result) {
        check(result && result.account && result.account.href === imported.href, 'the imported hash did not authenticate');
        // Again, now against the argon2id hash the first login made.
        return call(app, 'authenticateAccount', { username: 'import-' + email, password: '123456' });
      }).then(function() {
        return call(imported, 'delete');
      });
    });
  }).then(function() {
    return step('sendPasswordResetEmail', function() {
      needs([app, account], ['getApplication', 'createAccount']);
      // The token goes out by mail only; the answer names the email, and
      // is the same for an address without an account.
      return call(app, 'sendPasswordResetEmail', { email: email }).then(function(res) {
        check(res && res.href && String(res.email).toLowerCase() === email, 'reset answer ' + JSON.stringify(res && res.email));
        return call(app, 'sendPasswordResetEmail', { email: 'nobody-' + runId + '@example.com' });
      }).then(function(res) {
        check(res && res.href, 'an unknown address got no answer');
        return call(app, 'verifyPasswordResetToken', 'not-a-token').then(function() {
          throw new Error('a made-up reset token was valid');
        }, function(err) {
          check(err && err.status === 404, 'made-up token: ' + describe(err) + ', want 404');
        });
      });
    });
  }).then(function() {
    return step('resetPassword', function() {
      needs([app, account], ['getApplication', 'createAccount']);
      // The link of the mail sendPasswordResetEmail had sent, read from
      // the test's mail drop as a user reads the mail.
      var dropUrl = process.env.KEYSTORM_SDKCHECK_MAIL_URL;
      if (!dropUrl) {
        throw new Error('set KEYSTORM_SDKCHECK_MAIL_URL to a server that answers ?to=<email> with the token of the last reset mail');
      }
      var newPassword = password + 'Reset9';
      var token;
      return fetchText(dropUrl + '?to=' + encodeURIComponent(email)).then(function(t) {
        token = t;
        return call(app, 'verifyPasswordResetToken', token);
      }).then(function(res) {
        check(res && res.account && res.account.href === account.href, 'the token names ' + JSON.stringify(res && res.account));
        return call(app, 'resetPassword', token, newPassword);
      }).then(function() {
        return call(app, 'authenticateAccount', { username: email, password: newPassword });
      }).then(function(result) {
        check(result && result.account && result.account.href === account.href, 'the new password did not authenticate');
        return call(app, 'authenticateAccount', { username: email, password: password }).then(function() {
          throw new Error('the old password still authenticates');
        }, function(err) {
          check(err && err.code === 7100, 'old password: ' + describe(err) + ', want 7100');
        });
      }).then(function() {
        return call(app, 'verifyPasswordResetToken', token).then(function() {
          throw new Error('a used reset token is still valid');
        }, function(err) {
          check(err && err.status === 404, 'used token: ' + describe(err) + ', want 404');
        });
      });
    });
  }).then(function() {
    return step('getAccounts', function() {
      needs([app, account], ['getApplication', 'createAccount']);
      return call(app, 'getAccounts').then(allItems).then(function(items) {
        var found = items.filter(function(a) { return a.href === account.href; });
        check(found.length === 1, 'new account not found among ' + items.length + ' accounts');
        check(String(found[0].email).toLowerCase() === email, 'listed account has email ' + found[0].email);
      });
    });
  }).then(function() {
    return step('getAccounts with filters', function() {
      needs([app, account], ['getApplication', 'createAccount']);
      // The SDK sends the options as query parameters: Stormpath's
      // attribute filters, q and orderBy, which the server applies.
      return call(app, 'getAccounts', { email: email.toUpperCase() }).then(allItems).then(function(items) {
        check(items.length === 1 && items[0].href === account.href,
          'email filter: ' + items.length + ' accounts, want only the new one');
        return call(app, 'getAccounts', { surname: 'Che*', givenName: 'sdk' }).then(allItems);
      }).then(function(items) {
        check(items.some(function(a) { return a.href === account.href; }), 'wildcard filter: the new account is missing');
        check(items.every(function(a) { return /^che/i.test(a.surname); }), 'wildcard filter: an account with another surname');
        return call(app, 'getAccounts', { q: 'no-such-text-anywhere-' + runId }).then(allItems);
      }).then(function(items) {
        check(items.length === 0, 'q filter: ' + items.length + ' accounts, want none');
        return call(app, 'getAccounts', { orderBy: 'email desc', limit: 100 });
      }).then(function(page) {
        var emails = page.items.map(function(a) { return String(a.email).toLowerCase(); });
        var sorted = emails.slice().sort().reverse();
        check(JSON.stringify(emails) === JSON.stringify(sorted), 'orderBy email desc: ' + emails.join(', '));
      });
    });
  }).then(function() {
    return step('getCustomData', function() {
      needs([account], ['createAccount']);
      return call(account, 'getCustomData').then(function(cd) {
        check(cd && cd.href, 'no customData href');
        customData = cd;
      });
    });
  }).then(function() {
    return step('customData.save', function() {
      needs([customData], ['getCustomData']);
      customData[field] = fieldValue;
      return call(customData, 'save').then(function() {
        return call(account, 'getCustomData');
      }).then(function(cd) {
        check(cd && cd[field] === fieldValue, 're-read ' + field + ' = ' + JSON.stringify(cd && cd[field]) + ', want ' + JSON.stringify(fieldValue));
        customData = cd;
      });
    });
  }).then(function() {
    return step('customData.remove', function() {
      needs([customData], ['customData.save']);
      customData.remove(field);
      return call(customData, 'save').then(function() {
        return call(account, 'getCustomData');
      }).then(function(cd) {
        check(cd && !(field in cd), 're-read still has ' + field + ' = ' + JSON.stringify(cd && cd[field]));
      });
    });
  }).then(function() {
    return step('createGroup', function() {
      needs([app], ['getApplication']);
      return call(app, 'createGroup', { name: 'sdkcheck-' + runId, description: 'created by sdkcheck' }).then(function(g) {
        check(g && g.href, 'no group href in response');
        check(g.name === 'sdkcheck-' + runId, 'group name is ' + g.name);
        group = g;
      });
    });
  }).then(function() {
    return step('addToGroup', function() {
      needs([account, group], ['createAccount', 'createGroup']);
      return call(account, 'addToGroup', group).then(function(m) {
        check(m && m.href, 'no groupMembership href in response');
        membership = m;
      });
    });
  }).then(function() {
    return step('getGroups', function() {
      needs([account, group, membership], ['createAccount', 'createGroup', 'addToGroup']);
      return call(account, 'getGroups').then(allItems).then(function(items) {
        check(items.some(function(g) { return g.href === group.href; }),
          'group not among the account\'s ' + items.length + ' groups');
      });
    });
  }).then(function() {
    return step('getAccount with expand', function() {
      needs([account, group, membership], ['createAccount', 'createGroup', 'addToGroup']);
      // The SDK passes expand as a query parameter; the server puts the
      // linked resources in place of their links.
      return call(client, 'getAccount', account.href, { expand: 'customData,groups(offset:0,limit:10)' }).then(function(a) {
        check(a.customData && a.customData.href && 'createdAt' in a.customData, 'customData not expanded: ' + JSON.stringify(a.customData));
        check(a.groups && Array.isArray(a.groups.items) && a.groups.size === 1 && a.groups.items[0].href === group.href,
          'groups not expanded to the one group: ' + JSON.stringify(a.groups && a.groups.size));
      });
    });
  }).then(function() {
    return step('group customData', function() {
      needs([group], ['createGroup']);
      return call(group, 'getCustomData').then(function(cd) {
        check(cd && cd.href, 'no group customData href');
        cd.motto = 'semper-' + runId;
        return call(cd, 'save');
      }).then(function() {
        return call(group, 'getCustomData');
      }).then(function(cd) {
        check(cd.motto === 'semper-' + runId, 're-read motto = ' + JSON.stringify(cd.motto));
      });
    });
  }).then(function() {
    return step('createApiKey', function() {
      needs([account], ['createAccount']);
      return call(account, 'createApiKey').then(function(k) {
        check(k && k.href, 'no apiKey href in response');
        check(typeof k.id === 'string' && k.id.length > 0, 'no apiKey id in response');
        check(typeof k.secret === 'string' && k.secret.length > 0, 'decrypted secret is empty');
        check(k.secret !== env.secret, 'secret equals the admin secret');
        apiKey = k;
        keyId = k.id;
      });
    });
  }).then(function() {
    return step('getApiKeys', function() {
      needs([apiKey], ['createApiKey']);
      return call(account, 'getApiKeys').then(allItems).then(function(items) {
        var found = items.filter(function(k) { return k.id === keyId; });
        check(found.length === 1, 'key ' + keyId + ' not among the account\'s ' + items.length + ' keys');
        check(found[0].href === apiKey.href, 'listed key href ' + found[0].href + ' differs from ' + apiKey.href);
        check(found[0].status === 'ENABLED', 'listed key status is ' + found[0].status);
      });
    });
  }).then(function() {
    return step('apiKey.disable', function() {
      needs([apiKey], ['createApiKey']);
      apiKey.status = 'DISABLED';
      return call(apiKey, 'save').then(function(saved) {
        check(saved && saved.status === 'DISABLED', 'save answered status ' + (saved && saved.status));
        // Re-read the key by its href.
        return call(client, 'getResource', apiKey.href);
      }).then(function(reread) {
        check(reread && reread.id === keyId, 're-read returned ' + (reread && reread.id));
        check(reread.status === 'DISABLED', 're-read status is ' + reread.status);
      });
    });
  }).then(function() {
    return step('application.getApiKey', function() {
      needs([app, apiKey], ['getApplication', 'createApiKey']);
      return call(app, 'getApiKey', keyId).then(function(k) {
        check(k && k.id === keyId, 'returned key ' + (k && k.id));
        check(k.href === apiKey.href, 'returned href ' + k.href);
        check(k.status === 'DISABLED', 'returned status ' + k.status);
        check(hasLink(k, 'account') && k.account.href === account.href, 'key\'s account is not the new account');
      });
    });
  }).then(function() {
    return step('apiKey.delete', function() {
      needs([apiKey], ['createApiKey']);
      return call(apiKey, 'delete');
    });
  }).then(function() {
    return step('getApiKey after delete', function() {
      needs([app, apiKey], ['getApplication', 'createApiKey']);
      return call(app, 'getApiKey', keyId).then(function(k) {
        throw new Error('deleted key still returned (status ' + (k && k.status) + ')');
      }, function(err) {
        check(err && err.status === 404, 'want a 404, got: ' + describe(err));
      });
    });
  }).then(function() {
    return step('getApiKeys after delete', function() {
      needs([account, apiKey], ['createAccount', 'createApiKey']);
      return call(account, 'getApiKeys').then(allItems).then(function(items) {
        check(!items.some(function(k) { return k.id === keyId; }), 'deleted key still listed');
      });
    });
  }).then(function() {
    if (process.env.KEYSTORM_SDKCHECK_KEEP === '1') {
      return;
    }
    return step('cleanup group', function() {
      needs([group], ['createGroup']);
      return call(group, 'delete');
    }).then(function() {
      return step('cleanup account', function() {
        needs([account], ['createAccount']);
        return call(account, 'delete');
      });
    });
  }).then(function() {
    console.log(passed + ' passed, ' + failed + ' failed');
    process.exit(failed > 0 ? 1 : 0);
  });
}

main();
