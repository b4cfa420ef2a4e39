package dynamo

import "encoding/json"

func jsonUnmarshal(data string, dst any) error { return json.Unmarshal([]byte(data), dst) }
