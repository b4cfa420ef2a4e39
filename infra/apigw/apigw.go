package apigw

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/apigateway"
	"github.com/aws/aws-sdk-go-v2/service/apigateway/types"

	"github.com/keystorm/keystorm/domain"
	"github.com/keystorm/keystorm/infra/awsenv"
)

// StagesEnv names the API stages every plan applies to: "apiId:stage"
// pairs separated by commas.
const StagesEnv = "USAGE_PLAN_STAGES"

// planPrefix starts the name of every plan this package manages; plans
// with other names (an operator's own) are never touched.
const planPrefix = "keystorm-"

// API is the part of the API Gateway client Plans calls, so that the
// calls it may make are listed in one place (and in template.yaml's
// policy of the projector function).
type API interface {
	GetUsagePlans(context.Context, *apigateway.GetUsagePlansInput, ...func(*apigateway.Options)) (*apigateway.GetUsagePlansOutput, error)
	CreateUsagePlan(context.Context, *apigateway.CreateUsagePlanInput, ...func(*apigateway.Options)) (*apigateway.CreateUsagePlanOutput, error)
	UpdateUsagePlan(context.Context, *apigateway.UpdateUsagePlanInput, ...func(*apigateway.Options)) (*apigateway.UpdateUsagePlanOutput, error)
	GetApiKeys(context.Context, *apigateway.GetApiKeysInput, ...func(*apigateway.Options)) (*apigateway.GetApiKeysOutput, error)
	CreateApiKey(context.Context, *apigateway.CreateApiKeyInput, ...func(*apigateway.Options)) (*apigateway.CreateApiKeyOutput, error)
	DeleteApiKey(context.Context, *apigateway.DeleteApiKeyInput, ...func(*apigateway.Options)) (*apigateway.DeleteApiKeyOutput, error)
	CreateUsagePlanKey(context.Context, *apigateway.CreateUsagePlanKeyInput, ...func(*apigateway.Options)) (*apigateway.CreateUsagePlanKeyOutput, error)
	DeleteUsagePlanKey(context.Context, *apigateway.DeleteUsagePlanKeyInput, ...func(*apigateway.Options)) (*apigateway.DeleteUsagePlanKeyOutput, error)
}

// Stage is an API stage a plan applies to.
type Stage struct {
	APIID, Stage string
}

func (s Stage) String() string { return s.APIID + ":" + s.Stage }

// ParseStages reads "apiId:stage,apiId:stage" (spaces allowed around
// the commas). Empty is no stage.
func ParseStages(v string) ([]Stage, error) {
	var out []Stage
	for _, f := range strings.Split(v, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		api, stage, ok := strings.Cut(f, ":")
		if !ok || api == "" || stage == "" || strings.Contains(stage, ":") {
			return nil, fmt.Errorf("apigw: %s: %q is not apiId:stage", StagesEnv, f)
		}
		out = append(out, Stage{api, stage})
	}
	return out, nil
}

// Plans implements domain.UsagePlans over API Gateway. Safe for
// concurrent use.
type Plans struct {
	api    API
	stages []Stage
	log    *slog.Logger

	mu    sync.Mutex
	plans map[domain.RateLimit]string // plan id by limit
	keys  map[string]string           // API key id by value
}

var _ domain.UsagePlans = (*Plans)(nil)

// New returns Plans that calls api and attaches new plans to stages. A
// nil log is slog.Default.
func New(api API, stages []Stage, log *slog.Logger) *Plans {
	if log == nil {
		log = slog.Default()
	}
	return &Plans{api: api, stages: stages, log: log, plans: map[domain.RateLimit]string{}, keys: map[string]string{}}
}

// FromEnv builds Plans from the Lambda environment: the stages of
// USAGE_PLAN_STAGES, the region and credentials Lambda sets
// (infra/awsenv, no default chain), and AWS_ENDPOINT_URL_API_GATEWAY
// for tests. It makes no network call.
func FromEnv() (*Plans, error) {
	stages, err := ParseStages(os.Getenv(StagesEnv))
	if err != nil {
		return nil, err
	}
	cfg, err := awsenv.Load()
	if err != nil {
		return nil, err
	}
	if cfg.Region == "" {
		return nil, errors.New("apigw: AWS_REGION is not set")
	}
	return New(NewClient(cfg, awsenv.Endpoint("API Gateway")), stages, nil), nil
}

// NewClient is the API Gateway client of cfg, at endpoint if not empty.
func NewClient(cfg aws.Config, endpoint string) *apigateway.Client {
	return apigateway.NewFromConfig(cfg, func(o *apigateway.Options) {
		if endpoint != "" {
			o.BaseEndpoint = aws.String(endpoint)
		}
	})
}

// NewTestClient is a client of a local endpoint with static credentials
// and the SDK's retries off (tests count calls and inject failures).
func NewTestClient(endpoint string) *apigateway.Client {
	cfg := aws.Config{
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("local", "local", ""),
		RetryMaxAttempts: 1,
	}
	return NewClient(cfg, endpoint)
}

// PlanName is the name of the plan of limit: deterministic, so every
// instance finds the same plan.
func PlanName(l domain.RateLimit) string {
	return fmt.Sprintf("%s%d-per-%ds", planPrefix, l.Requests, int64(l.Period/time.Second))
}

// Throttle is the plan throttle of limit: the same token bucket.
func Throttle(l domain.RateLimit) *types.ThrottleSettings {
	return &types.ThrottleSettings{BurstLimit: int32(l.Requests), RateLimit: l.PerSecond()}
}

// Put implements domain.UsagePlans: id's API key exists, is in the plan
// of limit, and in no other keystorm plan.
func (p *Plans) Put(ctx context.Context, id string, limit domain.RateLimit) error {
	if limit.IsZero() || limit.Period <= 0 {
		return fmt.Errorf("apigw: no plan for the limit %+v", limit)
	}
	planID, err := p.plan(ctx, limit)
	if err != nil {
		return err
	}
	keyID, err := p.key(ctx, id, true)
	if err != nil {
		return err
	}
	in, err := p.plansOf(ctx, keyID)
	if err != nil {
		return err
	}
	// Out of the others first: API Gateway refuses (ConflictException)
	// a key in two plans on the same API stage. A failure in between
	// leaves the key briefly in no plan (unthrottled, still
	// authenticated), which the retry ends.
	for _, other := range in {
		if other != planID {
			if err := p.leave(ctx, other, keyID); err != nil {
				return err
			}
		}
	}
	if slices.Contains(in, planID) {
		return nil
	}
	_, err = p.api.CreateUsagePlanKey(ctx, &apigateway.CreateUsagePlanKeyInput{
		UsagePlanId: aws.String(planID), KeyId: aws.String(keyID), KeyType: aws.String("API_KEY"),
	})
	if isConflict(err) {
		// Already in it (another instance was quicker), or in a plan
		// that is not ours on the same stage: only the first is done.
		if now, lerr := p.plansOf(ctx, keyID); lerr == nil && slices.Contains(now, planID) {
			return nil
		}
	}
	if isNotFound(err) {
		// The API key or the plan is gone (another instance removed the
		// key, or an operator deleted the plan): forget both ids, so
		// that the retry finds or creates them afresh.
		p.mu.Lock()
		delete(p.keys, id)
		delete(p.plans, limit)
		p.mu.Unlock()
	}
	if err != nil {
		return fmt.Errorf("apigw: add key %s to plan %s: %w", keyID, planID, err)
	}
	p.log.Info("usage plan key added", "plan", planID, "apiKey", keyID)
	return nil
}

// Remove implements domain.UsagePlans: id's API key is in no keystorm
// plan and no longer exists.
func (p *Plans) Remove(ctx context.Context, id string) error {
	keyID, err := p.key(ctx, id, false)
	if err != nil || keyID == "" {
		return err
	}
	in, err := p.plansOf(ctx, keyID)
	if err != nil {
		return err
	}
	for _, planID := range in {
		if err := p.leave(ctx, planID, keyID); err != nil {
			return err
		}
	}
	_, err = p.api.DeleteApiKey(ctx, &apigateway.DeleteApiKeyInput{ApiKey: aws.String(keyID)})
	if err != nil && !isNotFound(err) {
		return fmt.Errorf("apigw: delete API key %s: %w", keyID, err)
	}
	p.mu.Lock()
	delete(p.keys, id)
	p.mu.Unlock()
	p.log.Info("usage plan API key deleted", "apiKey", keyID)
	return nil
}

func (p *Plans) leave(ctx context.Context, planID, keyID string) error {
	_, err := p.api.DeleteUsagePlanKey(ctx, &apigateway.DeleteUsagePlanKeyInput{UsagePlanId: aws.String(planID), KeyId: aws.String(keyID)})
	if err != nil && !isNotFound(err) {
		return fmt.Errorf("apigw: remove key %s from plan %s: %w", keyID, planID, err)
	}
	p.log.Info("usage plan key removed", "plan", planID, "apiKey", keyID)
	return nil
}

// plansOf lists the keystorm plans keyID is in.
func (p *Plans) plansOf(ctx context.Context, keyID string) ([]string, error) {
	var ids []string
	pages := apigateway.NewGetUsagePlansPaginator(p.api, &apigateway.GetUsagePlansInput{KeyId: aws.String(keyID), Limit: aws.Int32(500)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			if isNotFound(err) { // the key was deleted under us
				return nil, nil
			}
			return nil, fmt.Errorf("apigw: plans of key %s: %w", keyID, err)
		}
		for _, up := range page.Items {
			if strings.HasPrefix(aws.ToString(up.Name), planPrefix) {
				ids = append(ids, aws.ToString(up.Id))
			}
		}
	}
	return ids, nil
}

// plan returns the id of the plan of limit, finding or creating it.
func (p *Plans) plan(ctx context.Context, limit domain.RateLimit) (string, error) {
	p.mu.Lock()
	id, ok := p.plans[limit]
	p.mu.Unlock()
	if ok {
		return id, nil
	}
	name := PlanName(limit)
	found, err := p.findPlan(ctx, name)
	if err != nil {
		return "", err
	}
	if found == nil {
		out, err := p.api.CreateUsagePlan(ctx, &apigateway.CreateUsagePlanInput{
			Name:        aws.String(name),
			Description: aws.String("Keystorm rate limit (managed by the projector function; do not edit)"),
			Throttle:    Throttle(limit),
			ApiStages:   p.apiStages(),
		})
		switch {
		case isConflict(err):
			if found, err = p.findPlan(ctx, name); err == nil && found == nil {
				err = fmt.Errorf("apigw: plan %s conflicts but cannot be found", name)
			}
			if err != nil {
				return "", err
			}
		case err != nil:
			return "", fmt.Errorf("apigw: create plan %s: %w", name, err)
		default:
			p.log.Info("usage plan created", "plan", aws.ToString(out.Id), "name", name)
			found = &types.UsagePlan{Id: out.Id, Name: out.Name, ApiStages: out.ApiStages}
		}
	}
	if err := p.attachStages(ctx, found); err != nil {
		return "", err
	}
	id = aws.ToString(found.Id)
	p.mu.Lock()
	p.plans[limit] = id
	p.mu.Unlock()
	return id, nil
}

// findPlan lists the plans for the one named name; of duplicates (see
// the package doc) the smallest id, so that every instance agrees.
func (p *Plans) findPlan(ctx context.Context, name string) (*types.UsagePlan, error) {
	var best *types.UsagePlan
	pages := apigateway.NewGetUsagePlansPaginator(p.api, &apigateway.GetUsagePlansInput{Limit: aws.Int32(500)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("apigw: list plans: %w", err)
		}
		for i := range page.Items {
			up := page.Items[i]
			if aws.ToString(up.Name) == name && (best == nil || aws.ToString(up.Id) < aws.ToString(best.Id)) {
				best = &up
			}
		}
	}
	return best, nil
}

// attachStages adds the configured stages a plan lacks: a stage added
// to USAGE_PLAN_STAGES reaches the plans that exist already.
func (p *Plans) attachStages(ctx context.Context, up *types.UsagePlan) error {
	var ops []types.PatchOperation
	for _, s := range p.stages {
		if !slices.ContainsFunc(up.ApiStages, func(a types.ApiStage) bool {
			return aws.ToString(a.ApiId) == s.APIID && aws.ToString(a.Stage) == s.Stage
		}) {
			ops = append(ops, types.PatchOperation{Op: types.OpAdd, Path: aws.String("/apiStages"), Value: aws.String(s.String())})
		}
	}
	if len(ops) == 0 {
		return nil
	}
	_, err := p.api.UpdateUsagePlan(ctx, &apigateway.UpdateUsagePlanInput{UsagePlanId: up.Id, PatchOperations: ops})
	if err != nil && !isConflict(err) {
		return fmt.Errorf("apigw: add stages to plan %s: %w", aws.ToString(up.Id), err)
	}
	return nil
}

func (p *Plans) apiStages() []types.ApiStage {
	out := make([]types.ApiStage, len(p.stages))
	for i, s := range p.stages {
		out[i] = types.ApiStage{ApiId: aws.String(s.APIID), Stage: aws.String(s.Stage)}
	}
	return out
}

// key returns the id of the API key whose value is value, creating it
// (enabled) when create is set; "" when it does not exist and create is
// not set.
func (p *Plans) key(ctx context.Context, value string, create bool) (string, error) {
	p.mu.Lock()
	id, ok := p.keys[value]
	p.mu.Unlock()
	if ok {
		return id, nil
	}
	id, err := p.findKey(ctx, value)
	if err != nil {
		return "", err
	}
	if id == "" && create {
		out, err := p.api.CreateApiKey(ctx, &apigateway.CreateApiKeyInput{
			Name: aws.String(value), Value: aws.String(value), Enabled: true,
			Description: aws.String("Keystorm usage identifier (managed by the projector function)"),
		})
		switch {
		case isConflict(err):
			if id, err = p.findKey(ctx, value); err == nil && id == "" {
				err = errors.New("apigw: API key conflicts but cannot be found")
			}
			if err != nil {
				return "", err
			}
		case err != nil:
			return "", fmt.Errorf("apigw: create API key: %w", err)
		default:
			id = aws.ToString(out.Id)
			p.log.Info("usage plan API key created", "apiKey", id)
		}
	}
	if id != "" {
		p.mu.Lock()
		p.keys[value] = id
		p.mu.Unlock()
	}
	return id, nil
}

// findKey looks the API key up by name (a prefix query) and matches its
// value exactly.
func (p *Plans) findKey(ctx context.Context, value string) (string, error) {
	pages := apigateway.NewGetApiKeysPaginator(p.api, &apigateway.GetApiKeysInput{
		NameQuery: aws.String(value), IncludeValues: aws.Bool(true), Limit: aws.Int32(500),
	})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return "", fmt.Errorf("apigw: find API key: %w", err)
		}
		for _, k := range page.Items {
			if aws.ToString(k.Value) == value {
				return aws.ToString(k.Id), nil
			}
		}
	}
	return "", nil
}

func isConflict(err error) bool {
	var c *types.ConflictException
	return errors.As(err, &c)
}

func isNotFound(err error) bool {
	var n *types.NotFoundException
	return errors.As(err, &n)
}
