package httpapi

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/keystorm/keystorm/domain"
)

// ErrorBody is the one error shape of the API.
type ErrorBody struct {
	Status           int    `json:"status"`
	Code             int    `json:"code"`
	Message          string `json:"message"`
	DeveloperMessage string `json:"developerMessage"`
	MoreInfo         string `json:"moreInfo"`
	RequestID        string `json:"requestId"`
}

// MoreInfoBase anchors each code in the README's error table.
const MoreInfoBase = "https://github.com/keystorm/keystorm#error-"

var statusOf = map[domain.Kind]int{
	domain.KindInternal:         http.StatusInternalServerError,
	domain.KindInvalid:          http.StatusBadRequest,
	domain.KindNotFound:         http.StatusNotFound,
	domain.KindConflict:         http.StatusConflict,
	domain.KindUnauthorized:     http.StatusUnauthorized,
	domain.KindForbidden:        http.StatusForbidden,
	domain.KindUnavailable:      http.StatusServiceUnavailable,
	domain.KindTooLarge:         http.StatusRequestEntityTooLarge,
	domain.KindUnsupportedMedia: http.StatusUnsupportedMediaType,
	domain.KindMethodNotAllowed: http.StatusMethodNotAllowed,
	domain.KindUnprocessable:    http.StatusUnprocessableEntity,
	domain.KindThrottled:        http.StatusTooManyRequests,
}

// Describe turns any error into the public error body. Only *domain.Error
// texts reach clients; anything else is a 500 with a generic message.
func Describe(err error, requestID string) ErrorBody {
	var de *domain.Error
	if !errors.As(err, &de) || de.Kind == domain.KindInternal {
		de = &domain.Error{Kind: domain.KindInternal, Code: domain.CodeInternal, Message: "Something went wrong on our side. Please retry; if it persists, contact the provider with the requestId."}
	}
	status := statusOf[de.Kind]
	if status == 0 {
		status = http.StatusInternalServerError
	}
	dev := de.Message
	if de.Field != "" {
		dev = "Property '" + de.Field + "': " + de.Message
	}
	return ErrorBody{Status: status, Code: de.Code, Message: de.Message, DeveloperMessage: dev,
		MoreInfo: MoreInfoBase + strconv.Itoa(de.Code), RequestID: requestID}
}

// WriteError is the single place where errors become HTTP responses.
// Internal and store failures are logged with their cause; the client sees
// only the public body.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	rid := requestID(r)
	body := Describe(err, rid)
	if body.Status >= 500 {
		slog.ErrorContext(r.Context(), "request failed", "requestId", rid, "method", r.Method, "path", LogPath(r.URL.Path), "status", body.Status, "err", err)
	}
	if body.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="keystorm"`)
	}
	if body.Status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "1")
	}
	var de *domain.Error
	if errors.As(err, &de) && de.RetryAfter > 0 {
		// Whole seconds, rounded up: never sooner than the wait.
		w.Header().Set("Retry-After", strconv.Itoa(int((de.RetryAfter+time.Second-1)/time.Second)))
	}
	writeJSON(w, body.Status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"status":500,"code":`+strconv.Itoa(domain.CodeInternal)+`,"message":"Internal error."}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
