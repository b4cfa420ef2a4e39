// Package usage counts API-key verifications in memory and writes them to
// a domain.UsageStore in batches.
//
// Why: the usage analytics (a key's last use, its hourly successes and
// failures) must cost the verification path nothing. A store write per
// request would add a round trip to every verification and a write unit
// per request to the bill; instead a Recorder adds to counters under a
// mutex and writes each key's counts at most once per Recorder.Every, in
// the background, as atomic increments (domain.UsageStore.AddUsage), so
// many processes counting one key all add up.
//
// What it costs: counts not yet flushed are lost when the process dies
// without Flush (a Lambda instance frozen for good), at most Every's worth
// per key; and memory is bounded by Recorder.MaxPending, beyond which new
// counts are dropped and counted in Stats rather than grown without limit.
package usage
