// Verifies a Keystorm access token offline with the jose library, using
// only the published JWKS, as a resource server in another language would.
//
//   node verify.mjs <jwks-url> <issuer> <audience> <token>
//
// Prints the verified header and claims as one JSON line and exits 0, or
// prints the error and exits 1.
import { createRemoteJWKSet, jwtVerify } from "jose";

const [jwksUrl, issuer, audience, token] = process.argv.slice(2);
if (!token) {
  console.error("usage: node verify.mjs <jwks-url> <issuer> <audience> <token>");
  process.exit(2);
}
try {
  const jwks = createRemoteJWKSet(new URL(jwksUrl));
  const { payload, protectedHeader } = await jwtVerify(token, jwks, {
    issuer,
    audience,
    algorithms: ["ES256"],
    typ: "at+jwt",
  });
  console.log(JSON.stringify({ header: protectedHeader, claims: payload }));
} catch (err) {
  console.error(`verification failed: ${err.code ?? ""} ${err.message}`);
  process.exit(1);
}
