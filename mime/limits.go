package mime

// Limits bounds the resources one message may use. A zero field means the
// default given in its comment; a negative field means "no limit" (only for
// trusted input).
type Limits struct {
	// MaxHeaderBytes bounds the bytes of one header section (including
	// folding). Default 1 MiB.
	MaxHeaderBytes int64
	// MaxHeaderFields bounds the fields in one header section. Default 10000.
	MaxHeaderFields int
	// MaxLineLength bounds a line the parser has to hold whole: a header
	// line or a candidate boundary delimiter line. Body lines are streamed
	// and are not limited. Default 256 KiB.
	MaxLineLength int
	// MaxDepth bounds the nesting of multiparts and embedded messages.
	// Default 64.
	MaxDepth int
	// MaxParts bounds the number of entities (the message itself, every
	// body part and every embedded message). Default 10000.
	MaxParts int
	// MaxDecodedSize bounds the sum of decoded body bytes over the whole
	// message. Default 1 GiB.
	MaxDecodedSize int64
	// MaxMessageSize bounds the input [Parse] reads into memory. The
	// streaming [Reader] does not hold the message and ignores it.
	// Default 256 MiB.
	MaxMessageSize int64
}

const (
	defMaxHeaderBytes  = 1 << 20
	defMaxHeaderFields = 10000
	defMaxLineLength   = 256 << 10
	defMaxDepth        = 64
	defMaxParts        = 10000
	defMaxDecodedSize  = 1 << 30
	defMaxMessageSize  = 256 << 20
	unlimited          = int64(1) << 62
)

func pick64(v, def int64) int64 {
	switch {
	case v == 0:
		return def
	case v < 0:
		return unlimited
	}
	return v
}

func pick(v, def int) int {
	switch {
	case v == 0:
		return def
	case v < 0:
		return int(^uint(0) >> 2)
	}
	return v
}

// effective returns l with defaults applied.
func (l Limits) effective() Limits {
	return Limits{
		MaxHeaderBytes:  pick64(l.MaxHeaderBytes, defMaxHeaderBytes),
		MaxHeaderFields: pick(l.MaxHeaderFields, defMaxHeaderFields),
		MaxLineLength:   pick(l.MaxLineLength, defMaxLineLength),
		MaxDepth:        pick(l.MaxDepth, defMaxDepth),
		MaxParts:        pick(l.MaxParts, defMaxParts),
		MaxDecodedSize:  pick64(l.MaxDecodedSize, defMaxDecodedSize),
		MaxMessageSize:  pick64(l.MaxMessageSize, defMaxMessageSize),
	}
}
