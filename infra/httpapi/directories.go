package httpapi

import (
	"encoding/json"
	"net/http"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/events"
)

// Directories and account store mappings (README "Directories and
// account stores"): served by the applications family, since mappings
// are part of their applications; a directory's accounts and groups by
// the accounts and groups families, which create those (and hash
// passwords with the memory that takes).

// directoryRoutes adds the directory and mapping routes to rt.
func (a *API) directoryRoutes(rt *Router) {
	rt.Handle("POST", "/v1/directories", a.doCustom(a.createDirectory))
	rt.Handle("GET", "/v1/directories", a.do(a.listDirectories))
	rt.Handle("GET", "/v1/directories/{directoryId}", a.do(a.getDirectory))
	rt.Handle("POST", "/v1/directories/{directoryId}", a.doCustom(a.updateDirectory))
	rt.Handle("DELETE", "/v1/directories/{directoryId}", a.do(a.deleteDirectory))
	a.customDataRoutes(rt, domain.KindDirectory, "directoryId")
	rt.Handle("POST", "/v1/accountStoreMappings", a.do(a.createMapping))
	rt.Handle("GET", "/v1/accountStoreMappings/{accountStoreMappingId}", a.do(a.getMapping))
	rt.Handle("POST", "/v1/accountStoreMappings/{accountStoreMappingId}", a.do(a.updateMapping))
	rt.Handle("DELETE", "/v1/accountStoreMappings/{accountStoreMappingId}", a.do(a.deleteMapping))
	rt.Handle("GET", "/v1/applications/{applicationId}/accountStoreMappings", a.do(a.listMappings))
}

// Directory is the JSON of a directory. An application's own directory
// names its application, and has no customData of its own.
type Directory struct {
	Href        string `json:"href"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Status      string `json:"status"`
	CreatedAt   string `json:"createdAt"`
	ModifiedAt  string `json:"modifiedAt"`
	Tenant      Link   `json:"tenant"`
	Accounts    Link   `json:"accounts"`
	Groups      Link   `json:"groups"`
	// CustomData is null on an application's own directory.
	CustomData *Link `json:"customData"`
	// Application is the application whose own directory this is; null
	// for a shared directory.
	Application *Link `json:"application"`
}

func (b hrefs) directory(d *domain.Directory) Directory {
	p := "/v1/directories/" + d.ID
	out := Directory{Href: string(b) + p, Name: d.Name, Description: d.Description, Status: d.Status,
		CreatedAt: ts(d.CreatedAt), ModifiedAt: ts(d.ModifiedAt), Tenant: b.link("/v1/tenants/" + d.Tenant),
		Accounts: b.link(p + "/accounts"), Groups: b.link(p + "/groups")}
	if d.OwnerID != "" {
		l := b.link("/v1/applications/" + d.OwnerID)
		out.Application = &l
	} else {
		l := b.customDataLink(d.Ref())
		out.CustomData = &l
	}
	return out
}

func (b hrefs) directoryView(v domain.DirectoryView) Directory {
	if v.Directory != nil {
		return b.directory(v.Directory)
	}
	return b.directory(domain.OwnDirectory(v.Owner))
}

// AccountStoreMapping is the JSON of an account store mapping.
type AccountStoreMapping struct {
	Href                  string `json:"href"`
	ListIndex             int    `json:"listIndex"`
	IsDefaultAccountStore bool   `json:"isDefaultAccountStore"`
	IsDefaultGroupStore   bool   `json:"isDefaultGroupStore"`
	CreatedAt             string `json:"createdAt"`
	ModifiedAt            string `json:"modifiedAt"`
	Application           Link   `json:"application"`
	// AccountStore is the href of a directory or a group.
	AccountStore Link `json:"accountStore"`
}

func (b hrefs) mapping(m domain.AccountStoreMapping) AccountStoreMapping {
	store := "/v1/directories/" + m.StoreID
	if m.StoreKind == events.StoreGroup {
		store = "/v1/groups/" + m.StoreID
	}
	return AccountStoreMapping{Href: string(b) + "/v1/accountStoreMappings/" + m.ID, ListIndex: m.ListIndex,
		IsDefaultAccountStore: m.DefaultAccountStore, IsDefaultGroupStore: m.DefaultGroupStore,
		CreatedAt: ts(m.CreatedAt), ModifiedAt: ts(m.ModifiedAt),
		Application: b.link("/v1/applications/" + m.ApplicationID), AccountStore: b.link(store)}
}

// directoryInput reads a directory's body: a group's properties.
func directoryInput(body []byte) (domain.DirectoryInput, error) {
	g, err := groupInput(body)
	return domain.DirectoryInput(g), err
}

func (a *API) createDirectory(w http.ResponseWriter, r req) error {
	in, err := directoryInput(r.body)
	if err != nil {
		return err
	}
	d, err := a.Svc.CreateDirectory(r.Context(), r.c, in)
	if err != nil {
		return err
	}
	out := r.base.directory(d)
	return created(w, out.Href, out)
}

func (a *API) listDirectories(w http.ResponseWriter, r req) error {
	return listed(a, w, r, func(p domain.Page) (domain.List[*domain.Directory], error) {
		return a.Svc.ListDirectories(r.Context(), r.c, p)
	}, r.base.directory)
}

func (a *API) getDirectory(w http.ResponseWriter, r req) error {
	v, err := a.Svc.GetDirectory(r.Context(), r.c, param(r.Request, "directoryId"))
	if err != nil {
		return err
	}
	return ok(w, r.base.directoryView(v))
}

func (a *API) updateDirectory(w http.ResponseWriter, r req) error {
	in, err := directoryInput(r.body)
	if err != nil {
		return err
	}
	d, err := a.Svc.UpdateDirectory(r.Context(), r.c, param(r.Request, "directoryId"), in)
	if err != nil {
		return err
	}
	return ok(w, r.base.directory(d))
}

func (a *API) deleteDirectory(w http.ResponseWriter, r req) error {
	if err := a.Svc.DeleteDirectory(r.Context(), r.c, param(r.Request, "directoryId")); err != nil {
		return err
	}
	return noContent(w)
}

func (a *API) createDirectoryAccount(w http.ResponseWriter, r req) error {
	return newAccount(w, r, a.Svc.CreateDirectoryAccount, "directoryId")
}

func (a *API) listDirectoryAccounts(w http.ResponseWriter, r req) error {
	return listed(a, w, r, func(p domain.Page) (domain.List[*domain.Account], error) {
		return a.Svc.ListDirectoryAccounts(r.Context(), r.c, param(r.Request, "directoryId"), p)
	}, r.base.account)
}

func (a *API) createDirectoryGroup(w http.ResponseWriter, r req) error {
	return newGroup(w, r, a.Svc.CreateDirectoryGroup, "directoryId")
}

func (a *API) listDirectoryGroups(w http.ResponseWriter, r req) error {
	return listed(a, w, r, func(p domain.Page) (domain.List[*domain.Group], error) {
		return a.Svc.ListDirectoryGroups(r.Context(), r.c, param(r.Request, "directoryId"), p)
	}, r.base.group)
}

// mappingInput reads a mapping body; on create the application and the
// account store are required links.
func mappingInput(body []byte, create bool) (domain.MappingInput, error) {
	var in domain.MappingInput
	props, err := object(body)
	if err != nil {
		return in, err
	}
	f := bodyFields(props, MappingBody{})
	// An unknown property is named before a missing one is asked for.
	for name, raw := range props {
		if !f.declared[name] && !isLink(raw) && name != "href" && name != "createdAt" && name != "modifiedAt" {
			return in, domain.E(domain.KindInvalid, domain.CodeUnknownProperty, name, "%s is not a property of this resource.", name)
		}
	}
	if !create {
		// The application and the store are fixed: an SDK sends them
		// back with the resource, and they are ignored.
		for _, name := range []string{"application", "accountStore"} {
			if _, _, err := f.read(name); err != nil {
				return in, err
			}
		}
	}
	if create {
		if in.ApplicationID, err = f.href("application", "applications"); err != nil {
			return in, err
		}
		raw, _, err := f.read("accountStore")
		if err != nil {
			return in, err
		}
		var l Link
		if json.Unmarshal(raw, &l) != nil || l.Href == "" {
			return in, domain.E(domain.KindInvalid, domain.CodeRequired, "accountStore", "accountStore is required, as {\"href\": ...} of a directory or a group.")
		}
		if id, ok := lastSegment(l.Href, "directories"); ok {
			in.StoreKind, in.StoreID = events.StoreDirectory, id
		} else if id, ok := lastSegment(l.Href, "groups"); ok {
			in.StoreKind, in.StoreID = events.StoreGroup, id
		} else {
			return in, domain.E(domain.KindInvalid, domain.CodeInvalidValue, "accountStore", "accountStore.href must be the href of a directory or a group.")
		}
	}
	if in.ListIndex, err = f.integer("listIndex"); err != nil {
		return in, err
	}
	if in.DefaultAccountStore, err = f.boolean("isDefaultAccountStore"); err != nil {
		return in, err
	}
	if in.DefaultGroupStore, err = f.boolean("isDefaultGroupStore"); err != nil {
		return in, err
	}
	return in, f.rest()
}

// href reads a required link property naming a resource of collection.
func (f *fields) href(name, collection string) (string, error) {
	raw, ok, err := f.read(name)
	if err != nil {
		return "", err
	}
	if !ok {
		return "", domain.E(domain.KindInvalid, domain.CodeRequired, name, "%s is required, as {\"href\": ...}.", name)
	}
	var l Link
	if err := json.Unmarshal(raw, &l); err != nil || l.Href == "" {
		return "", domain.E(domain.KindInvalid, domain.CodeWrongType, name, "%s must be an object with an href.", name)
	}
	id, ok := lastSegment(l.Href, collection)
	if !ok {
		return "", domain.E(domain.KindInvalid, domain.CodeInvalidValue, name, "%s.href must be the href of a resource in /v1/%s.", name, collection)
	}
	return id, nil
}

// integer returns an integer property, nil when absent or null.
func (f *fields) integer(name string) (*int, error) {
	raw, ok, err := f.read(name)
	if err != nil || !ok || string(raw) == "null" {
		return nil, err
	}
	var n int
	if err := json.Unmarshal(raw, &n); err != nil || n < 0 {
		return nil, domain.E(domain.KindInvalid, domain.CodeWrongType, name, "%s must be a whole number, 0 or more.", name)
	}
	return &n, nil
}

// boolean returns a boolean property, nil when absent or null.
func (f *fields) boolean(name string) (*bool, error) {
	raw, ok, err := f.read(name)
	if err != nil || !ok || string(raw) == "null" {
		return nil, err
	}
	var v bool
	if err := json.Unmarshal(raw, &v); err != nil {
		return nil, domain.E(domain.KindInvalid, domain.CodeWrongType, name, "%s must be true or false.", name)
	}
	return &v, nil
}

func (a *API) createMapping(w http.ResponseWriter, r req) error {
	in, err := mappingInput(r.body, true)
	if err != nil {
		return err
	}
	m, err := a.Svc.CreateMapping(r.Context(), r.c, in)
	if err != nil {
		return err
	}
	out := r.base.mapping(m)
	return created(w, out.Href, out)
}

func (a *API) getMapping(w http.ResponseWriter, r req) error {
	m, err := a.Svc.GetMapping(r.Context(), r.c, param(r.Request, "accountStoreMappingId"))
	if err != nil {
		return err
	}
	return ok(w, r.base.mapping(m))
}

func (a *API) updateMapping(w http.ResponseWriter, r req) error {
	in, err := mappingInput(r.body, false)
	if err != nil {
		return err
	}
	m, err := a.Svc.UpdateMapping(r.Context(), r.c, param(r.Request, "accountStoreMappingId"), in)
	if err != nil {
		return err
	}
	return ok(w, r.base.mapping(m))
}

func (a *API) deleteMapping(w http.ResponseWriter, r req) error {
	if err := a.Svc.DeleteMapping(r.Context(), r.c, param(r.Request, "accountStoreMappingId")); err != nil {
		return err
	}
	return noContent(w)
}

// listMappings lists an application's mappings, in listIndex order: a
// few (at most domain.MaxAccountStores), so one page holds them all.
func (a *API) listMappings(w http.ResponseWriter, r req) error {
	p, err := page(r.Request, "")
	if err != nil {
		return err
	}
	ms, p, err := a.Svc.ListMappings(r.Context(), r.c, param(r.Request, "applicationId"), p)
	if err != nil {
		return err
	}
	items := make([]any, 0, len(ms))
	for _, m := range ms[min(p.Offset, len(ms)):min(p.Offset+p.Limit, len(ms))] {
		items = append(items, r.base.mapping(m))
	}
	more := p.Offset+len(items) < len(ms)
	return ok(w, newCollection(r.Request, baseURL(r.Request), p.Offset, p.Limit, len(ms), "", more, items))
}
