package example

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/awslabs/aws-lambda-go-api-proxy/core"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/authctx"
	"github.com/keystorm/keystorm/infra/httpapi"
)

// Item is one piece of a trooper's equipment. Serial identifies the very
// piece issued to one trooper of one application of one tenant.
type Item struct {
	Name     string `json:"name"`
	Quantity int    `json:"quantity"`
	Serial   string `json:"serial,omitempty"`
}

// Trooper names a trooper the way a provider's backend must key its own
// data: a username is unique only within an application's directory, and
// an application only within its tenant, so all three together.
type Trooper struct {
	TenantID, ApplicationID, Username string
}

// Armory is the example's data: the equipment issued to a trooper.
type Armory interface {
	Equipment(t Trooper) []Item
}

// StandardIssue is the example's Armory: every trooper of every
// application gets the standard issue, with serial numbers derived from
// the whole Trooper key, so that the same username in another tenant or
// application has other equipment. It keeps no state, so every Lambda
// instance gives the same answer.
type StandardIssue struct{}

// Equipment implements Armory.
func (StandardIssue) Equipment(t Trooper) []Item {
	out := make([]Item, len(standardIssue))
	for i, it := range standardIssue {
		h := sha256.Sum256([]byte(t.TenantID + "\x00" + t.ApplicationID + "\x00" + t.Username + "\x00" + it.Name))
		it.Serial = "TK-" + strings.ToUpper(hex.EncodeToString(h[:6]))
		out[i] = it
	}
	return out
}

// Caller is who called, as the authorizer established it.
type Caller struct {
	AccountHref   string `json:"accountHref"`
	APIKeyID      string `json:"apiKeyId"`
	TenantID      string `json:"tenantId"`
	ApplicationID string `json:"applicationId"`
	AuthType      string `json:"authType"`
	Username      string `json:"username,omitempty"`
	Scope         string `json:"scope,omitempty"`
}

// ScopeViewOthers is the scope that lets a caller see another trooper's
// equipment, as in the Stormpath guide. Keystorm grants it in tokens of
// accounts in a group of that name.
const ScopeViewOthers = "view_others_equipment"

// Equipment is the body of GET /troopers/{id}/equipment.
type Equipment struct {
	Trooper   string `json:"trooper"`
	Equipment []Item `json:"equipment"`
	Caller    Caller `json:"caller"`
}

// standardIssue is the sample equipment every trooper gets.
var standardIssue = []Item{
	{Name: "E-11 blaster rifle", Quantity: 1},
	{Name: "Thermal detonator", Quantity: 2},
	{Name: "Comlink", Quantity: 1},
	{Name: "Utility belt", Quantity: 1},
	{Name: "Plastoid armour", Quantity: 1},
}

// maxIDLen bounds the trooper id echoed back.
const maxIDLen = 128

// Handler returns the example API over the StandardIssue armory. Run it
// on Lambda with runtime.Proxy(Handler()) (infra/runtime), as
// functions/example does.
func Handler() http.Handler { return HandlerFor(StandardIssue{}) }

// HandlerFor returns the example API over an armory.
func HandlerFor(a Armory) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { serve(w, r, a) })
}

// CallerIdentity returns the identity the Keystorm authorizer attached to
// the request, read from the API Gateway request context that
// httpadapter's ProxyWithContext (behind httpapi.Proxy) puts in
// r.Context(). It fails when there
// is none or it is incomplete.
func CallerIdentity(r *http.Request) (authctx.Identity, error) {
	gw, ok := core.GetAPIGatewayContextFromContext(r.Context())
	if !ok {
		return authctx.Identity{}, domain.E(domain.KindUnauthorized, domain.CodeUnauthenticated, "",
			"Authentication required: the request did not come through API Gateway.")
	}
	id, err := authctx.FromMap(gw.Authorizer)
	if err != nil {
		return authctx.Identity{}, domain.E(domain.KindUnauthorized, domain.CodeUnauthenticated, "",
			"Authentication required: the request carries no Keystorm authorizer context.")
	}
	return id, nil
}

func serve(w http.ResponseWriter, r *http.Request, armory Armory) {
	id, err := CallerIdentity(r)
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	trooper, ok := route(r.URL.EscapedPath())
	if !ok {
		httpapi.WriteError(w, r, domain.ErrNotFound)
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		httpapi.WriteError(w, r, domain.E(domain.KindMethodNotAllowed, domain.CodeMethodNotAllowed, "",
			"Method %s is not allowed here; use GET.", r.Method))
		return
	}
	// A trooper's id is their username. Anyone may see their own
	// equipment; another trooper's needs the scope.
	if trooper != id.Username && !id.HasScope(ScopeViewOthers) {
		httpapi.WriteError(w, r, domain.E(domain.KindForbidden, domain.CodeForbidden, "",
			"Viewing another trooper's equipment needs the scope %s.", ScopeViewOthers))
		return
	}
	// The trooper is looked up inside the caller's own tenant and
	// application, never by username alone: the same username elsewhere,
	// or a scope granted by another tenant's admin, reaches nothing here.
	body, err := json.Marshal(Equipment{
		Trooper:   trooper,
		Equipment: armory.Equipment(Trooper{TenantID: id.TenantID, ApplicationID: id.ApplicationID, Username: trooper}),
		Caller: Caller{AccountHref: id.AccountHref, APIKeyID: id.APIKeyID, TenantID: id.TenantID,
			ApplicationID: id.ApplicationID, AuthType: id.AuthType, Username: id.Username, Scope: id.Scope},
	})
	if err != nil {
		httpapi.WriteError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	// The answer depends on the caller: no shared cache may keep it.
	w.Header().Set("Cache-Control", "private, no-store")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// route matches /troopers/{id}/equipment exactly, on the escaped path so
// an id holding "%2F" stays one segment, and returns the unescaped id.
func route(escaped string) (string, bool) {
	seg := strings.Split(escaped, "/")
	if len(seg) != 4 || seg[0] != "" || seg[1] != "troopers" || seg[3] != "equipment" {
		return "", false
	}
	id, err := url.PathUnescape(seg[2])
	if err != nil || id == "" || len(id) > maxIDLen {
		return "", false
	}
	return id, true
}
