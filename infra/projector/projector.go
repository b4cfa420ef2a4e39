package projector

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	lambdaevents "github.com/aws/aws-lambda-go/events"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/events"
	"github.com/keystorm/keystorm/infra/dynamo"
)

// Projector runs every projection on each event.
type Projector struct {
	Projections []domain.Projection
	Log         *slog.Logger
}

// Project runs every projection on env and joins their errors. A
// projection that succeeded runs again when the event is redelivered;
// that is what idempotent projections allow.
func (p *Projector) Project(ctx context.Context, env events.Envelope) error {
	var errs []error
	for _, pr := range p.Projections {
		if err := pr.Handle(ctx, env); err != nil {
			// Names only: an event's data is never logged (it may hold
			// hashes, and customData is the provider's).
			p.log().Error("projection failed", "projection", pr.Name(), "stream", env.Stream, "version", env.Version, "type", env.Type, "err", err)
			errs = append(errs, fmt.Errorf("%s: %w", pr.Name(), err))
		}
	}
	return errors.Join(errs...)
}

func (p *Projector) log() *slog.Logger {
	if p.Log == nil {
		return slog.Default()
	}
	return p.Log
}

// HandleStream projects a batch of the events table's stream records in
// order. At the first record that fails (it does not decode, or a
// projection fails) it stops and reports that record as the batch's
// failure: Lambda then checkpoints before it and delivers it, and the
// records after it, again (bisecting the batch on repeated failures,
// and sending what still fails to the dead-letter queue). Records other
// than inserts are skipped: the event log is append-only, so a MODIFY or
// REMOVE is an operator's doing (a restore), not an event.
func (p *Projector) HandleStream(ctx context.Context, ev lambdaevents.DynamoDBEvent) (lambdaevents.DynamoDBEventResponse, error) {
	var resp lambdaevents.DynamoDBEventResponse
	for _, rec := range ev.Records {
		if rec.EventName != string(lambdaevents.DynamoDBOperationTypeInsert) {
			continue
		}
		env, err := dynamo.EnvelopeFromImage(rec.Change.NewImage)
		if err == nil {
			err = p.Project(ctx, env)
		} else {
			p.log().Error("stream record is not an event", "eventId", rec.EventID, "sequenceNumber", rec.Change.SequenceNumber, "err", err)
		}
		if err != nil {
			resp.BatchItemFailures = append(resp.BatchItemFailures, lambdaevents.DynamoDBBatchItemFailure{ItemIdentifier: rec.Change.SequenceNumber})
			return resp, nil
		}
	}
	return resp, nil
}
