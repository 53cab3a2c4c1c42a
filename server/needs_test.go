package server

import (
	"testing"

	"djangobolt/protocol"
)

func TestPlanNeeds(t *testing.T) {
	n, err := planNeeds([]string{"params", "cookies", "form"}, true)
	if err != nil || n.want != protocol.WantParams|protocol.WantHeaders|protocol.WantBody || !n.cookies || !n.forms {
		t.Fatalf("planNeeds = %+v, %v", n, err)
	}
	// A WebSocket handshake has no body: a plan that reads one is a start-up error.
	for _, part := range []string{"body", "form", "nonsense"} {
		if _, err := planNeeds([]string{part}, false); err == nil {
			t.Errorf("%q accepted without a body", part)
		}
	}
}
