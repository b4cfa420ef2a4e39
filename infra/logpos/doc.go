// Package logpos is the order both stores list a tenant's event log in
// (domain.EventLog.Events) and the cursor that resumes it: a fixed-width
// time key that sorts as text, and an opaque position past which the next
// page starts. Both stores share it so that their pages agree event for
// event.
package logpos
