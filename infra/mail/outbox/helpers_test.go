package outbox_test

import "mime"

// mimeDecoder decodes RFC 2047 header words.
type mimeDecoder = mime.WordDecoder
