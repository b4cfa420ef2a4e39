package domain

import (
	"context"
	"encoding/json"
	"maps"
	"slices"
	"time"

	"github.com/keystorm/keystorm/events"
)

// Custom is the customData a tenant, application, account or group
// carries. It is embedded in their states, so its fields sit flat in the
// stored read model, beside the resource's own: customData is bounded
// (see MaxCustomDataBytes) and read with its resource, so a separate item
// would cost a second read for nothing.
type Custom struct {
	// CustomData holds arbitrary JSON values by top-level field name.
	CustomData map[string]json.RawMessage `json:"customData,omitempty"`
	// CustomDataModifiedAt is the customData resource's own modifiedAt;
	// its createdAt is its resource's. Zero until the first change on
	// resources whose creation did not set it (all but accounts); the
	// resource's createdAt stands in then (see CustomDataOf).
	CustomDataModifiedAt time.Time `json:"customDataModifiedAt,omitzero"`
}

// changeCustomData applies a CustomDataChanged of any stream kind.
func (c *Custom) changeCustomData(e events.CustomDataChanged, at time.Time) {
	if c.CustomData == nil && len(e.Set) > 0 {
		c.CustomData = map[string]json.RawMessage{}
	}
	maps.Copy(c.CustomData, e.Set)
	for _, k := range e.Removed {
		delete(c.CustomData, k)
	}
	if len(c.CustomData) == 0 {
		c.CustomData = nil
	}
	c.CustomDataModifiedAt = at
}

// clearCustomData applies a CustomDataCleared of any stream kind.
func (c *Custom) clearCustomData(at time.Time) {
	c.CustomData = nil
	c.CustomDataModifiedAt = at
}

// cloned returns a copy whose map the caller may change.
func (c Custom) cloned() Custom {
	c.CustomData = maps.Clone(c.CustomData)
	return c
}

// customHolder is a state that carries customData. Each names its own
// event types (events are named for their stream's kind) and clones
// itself, so that the commands below serve all four kinds as one.
type customHolder interface {
	State
	custom() *Custom
	created() time.Time
	cloneHolder() customHolder
	customDataChanged(events.CustomDataChanged) events.Event
	customDataCleared() events.Event
}

func (t *Tenant) custom() *Custom      { return &t.Custom }
func (a *Application) custom() *Custom { return &a.Custom }
func (a *Account) custom() *Custom     { return &a.Custom }
func (g *Group) custom() *Custom       { return &g.Custom }
func (d *Directory) custom() *Custom   { return &d.Custom }

func (b *Base) created() time.Time { return b.CreatedAt }

func (t *Tenant) cloneHolder() customHolder      { return t.clone() }
func (a *Application) cloneHolder() customHolder { return a.clone() }
func (a *Account) cloneHolder() customHolder     { return a.clone() }
func (g *Group) cloneHolder() customHolder       { return g.clone() }
func (d *Directory) cloneHolder() customHolder   { return d.clone() }

func (*Tenant) customDataChanged(e events.CustomDataChanged) events.Event {
	return events.TenantCustomDataChanged(e)
}
func (*Application) customDataChanged(e events.CustomDataChanged) events.Event {
	return events.ApplicationCustomDataChanged(e)
}
func (*Account) customDataChanged(e events.CustomDataChanged) events.Event { return e }
func (*Group) customDataChanged(e events.CustomDataChanged) events.Event {
	return events.GroupCustomDataChanged(e)
}

func (*Tenant) customDataCleared() events.Event      { return events.TenantCustomDataCleared{} }
func (*Application) customDataCleared() events.Event { return events.ApplicationCustomDataCleared{} }
func (*Account) customDataCleared() events.Event     { return events.CustomDataCleared{} }
func (*Group) customDataCleared() events.Event       { return events.GroupCustomDataCleared{} }
func (*Directory) customDataChanged(e events.CustomDataChanged) events.Event {
	return events.DirectoryCustomDataChanged(e)
}
func (*Directory) customDataCleared() events.Event { return events.DirectoryCustomDataCleared{} }

// CustomDataKinds are the aggregate kinds that carry customData.
var CustomDataKinds = []string{KindTenant, KindApplication, KindAccount, KindGroup, KindDirectory}

// CustomData is the customData resource of a tenant, application,
// account or group: its owner, its fields, the owner's createdAt and its
// own modifiedAt.
type CustomData struct {
	Owner      Ref
	Fields     map[string]json.RawMessage
	CreatedAt  time.Time
	ModifiedAt time.Time
}

// CustomDataOf returns the customData resource of st, which must be a
// tenant, application, account or group.
func CustomDataOf(st State) CustomData {
	h := st.(customHolder)
	c := h.custom()
	mod := c.CustomDataModifiedAt
	if mod.IsZero() {
		mod = h.created()
	}
	return CustomData{Owner: st.Ref(), Fields: c.CustomData, CreatedAt: h.created(), ModifiedAt: mod}
}

// loadHolder loads the customData owner named by ref; any other kind is
// not found, like any resource the caller cannot see.
func loadHolder(ctx context.Context, s *Service, c Caller, ref Ref) (customHolder, error) {
	if !slices.Contains(CustomDataKinds, ref.Kind) {
		return nil, ErrNotFound
	}
	st, err := load[State](ctx, s, c, ref.Kind, ref.ID)
	if err != nil {
		return nil, err
	}
	return st.(customHolder), nil
}

// GetCustomData returns the customData of a tenant (only the caller's
// own), application, account or group of the caller's tenant.
// Errors: ErrNotFound, ErrForbidden, ErrUnavailable.
func (s *Service) GetCustomData(ctx context.Context, c Caller, owner Ref) (CustomData, error) {
	if err := requireAdmin(c); err != nil {
		return CustomData{}, err
	}
	h, err := loadHolder(ctx, s, c, owner)
	if err != nil {
		return CustomData{}, err
	}
	return CustomDataOf(h), nil
}

// UpdateCustomData sets the given top-level fields, keeping the others.
// Errors: KindInvalid, ErrNotFound, ErrForbidden, ErrUnavailable.
func (s *Service) UpdateCustomData(ctx context.Context, c Caller, owner Ref, set map[string]json.RawMessage) (CustomData, error) {
	if err := requireAdmin(c); err != nil {
		return CustomData{}, err
	}
	if err := checkCustomData(set); err != nil {
		return CustomData{}, err
	}
	st, err := run(ctx, s, c, func(r *recorder) (State, error) {
		cur, err := loadHolder(ctx, s, c, owner)
		if err != nil {
			return nil, err
		}
		evs := customDataEvents(cur, set)
		if len(evs) == 0 {
			return cur, nil
		}
		next := cur.cloneHolder()
		if err := r.record(cur.Ref(), cur, next, evs...); err != nil {
			return nil, err
		}
		return next, checkCustomDataTotal(next.custom().CustomData)
	})
	if err != nil {
		return CustomData{}, err
	}
	return CustomDataOf(st), nil
}

// customDataEvents returns the event that sets the fields of set that
// differ from cur's (none when nothing changes), in cur's kind. Updates
// of the owner with inline customData use it too; the caller has checked
// set with checkCustomData, and checks the merged total once recorded.
func customDataEvents(cur customHolder, set map[string]json.RawMessage) []events.Event {
	changed := map[string]json.RawMessage{}
	for k, v := range set {
		if old, ok := cur.custom().CustomData[k]; !ok || !jsonEqual(old, v) {
			changed[k] = v
		}
	}
	if len(changed) == 0 {
		return nil
	}
	return []events.Event{cur.customDataChanged(events.CustomDataChanged{Set: changed})}
}

// initialCustomData returns the event that gives a new resource its
// customData, if any. The caller has checked it with checkCustomData and
// checkCustomDataTotal.
func initialCustomData(h customHolder, set map[string]json.RawMessage) []events.Event {
	if len(set) == 0 {
		return nil
	}
	return []events.Event{h.customDataChanged(events.CustomDataChanged{Set: set})}
}

// checkNewCustomData checks customData given on create: the total
// limits apply to it as given.
func checkNewCustomData(set map[string]json.RawMessage) error {
	if err := checkCustomData(set); err != nil {
		return err
	}
	return checkCustomDataTotal(set)
}

func jsonEqual(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return string(ja) == string(jb)
}

// DeleteCustomData removes every customData field.
// Errors: ErrNotFound, ErrForbidden, ErrUnavailable.
func (s *Service) DeleteCustomData(ctx context.Context, c Caller, owner Ref) error {
	return s.removeCustomData(ctx, c, owner, nil)
}

// DeleteCustomDataField removes one field; removing an absent field is a
// no-op, as DELETE is idempotent.
// Errors: KindInvalid (a reserved or empty name), ErrNotFound,
// ErrForbidden, ErrUnavailable.
func (s *Service) DeleteCustomDataField(ctx context.Context, c Caller, owner Ref, field string) error {
	if err := requireAdmin(c); err != nil {
		return err
	}
	if field == "" || customDataReserved[field] {
		return invalid(CodeInvalidValue, "field", "%q is not a removable customData field.", field)
	}
	return s.removeCustomData(ctx, c, owner, []string{field})
}

func (s *Service) removeCustomData(ctx context.Context, c Caller, owner Ref, fields []string) error {
	if err := requireAdmin(c); err != nil {
		return err
	}
	_, err := run(ctx, s, c, func(r *recorder) (State, error) {
		cur, err := loadHolder(ctx, s, c, owner)
		if err != nil {
			return nil, err
		}
		data := cur.custom().CustomData
		var ev events.Event
		if fields == nil {
			if len(data) == 0 {
				return cur, nil
			}
			ev = cur.customDataCleared()
		} else {
			present := slices.DeleteFunc(slices.Clone(fields), func(f string) bool { _, ok := data[f]; return !ok })
			if len(present) == 0 {
				return cur, nil
			}
			ev = cur.customDataChanged(events.CustomDataChanged{Removed: present})
		}
		next := cur.cloneHolder()
		return next, r.record(cur.Ref(), cur, next, ev)
	})
	return err
}
