package router

// MaxParams is the most parameters a pattern may declare. The bound lets
// Params be a fixed-size value that a request context can embed and reuse.
const MaxParams = 16

// Params holds the parameters of a matched route. Values alias the looked-up
// path, so they are valid only as long as that buffer is. The zero value is
// ready to use; Lookup resets it, so one Params can serve request after request.
type Params struct {
	names  []string // the matched route's names, shared and read-only
	values [MaxParams][]byte
	n      int
}

// Reset empties p. Stale values stay in the array but are unreachable.
func (p *Params) Reset() {
	p.names = nil
	p.n = 0
}

// Len returns the number of parameters.
func (p *Params) Len() int { return p.n }

// Name returns the name of the i-th parameter, in pattern order.
func (p *Params) Name(i int) string { return p.names[:p.n][i] }

// Value returns the raw (not percent-decoded) value of the i-th parameter.
func (p *Params) Value(i int) []byte { return p.values[:p.n][i] }

// Get returns the value of the parameter called name.
func (p *Params) Get(name string) ([]byte, bool) {
	for i := range p.n {
		if p.names[i] == name {
			return p.values[i], true
		}
	}
	return nil, false
}

func (p *Params) push(v []byte) {
	p.values[p.n] = v
	p.n++
}
