package middleware

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

func TestGuards(t *testing.T) {
	user := &Auth{UserID: "1", HasUserID: true, Permissions: []string{"a", "b"}}
	staff := &Auth{UserID: "2", HasUserID: true, IsStaff: true}
	admin := &Auth{UserID: "3", HasUserID: true, IsAdmin: true}
	anon := &Auth{Backend: BackendJWT} // valid token without sub

	g := func(typ string, perms ...string) GuardConfig {
		c := GuardConfig{Type: typ}
		if typ == "has_permission" {
			c.Permission = perms[0]
		} else {
			c.Permissions = perms
		}
		return c
	}
	cases := []struct {
		name   string
		guards []GuardConfig
		auth   *Auth
		want   int
	}{
		{"no guards", nil, nil, 0},
		{"allow_any", []GuardConfig{g("allow_any")}, nil, 0},
		{"allow_any skips the rest", []GuardConfig{g("allow_any"), g("is_admin")}, nil, 0},
		{"is_authenticated without auth", []GuardConfig{g("is_authenticated")}, nil, 401},
		{"is_authenticated without user id", []GuardConfig{g("is_authenticated")}, anon, 401},
		{"is_authenticated", []GuardConfig{g("is_authenticated")}, user, 0},
		{"is_admin without auth", []GuardConfig{g("is_admin")}, nil, 401},
		{"is_admin denied", []GuardConfig{g("is_admin")}, staff, 403},
		{"is_admin", []GuardConfig{g("is_admin")}, admin, 0},
		{"is_staff denied", []GuardConfig{g("is_staff")}, user, 403},
		{"is_staff", []GuardConfig{g("is_staff")}, staff, 0},
		{"has_permission", []GuardConfig{g("has_permission", "a")}, user, 0},
		{"has_permission denied", []GuardConfig{g("has_permission", "c")}, user, 403},
		{"has_permission without auth", []GuardConfig{g("has_permission", "a")}, nil, 401},
		{"has_any_permission", []GuardConfig{g("has_any_permission", "c", "b")}, user, 0},
		{"has_any_permission denied", []GuardConfig{g("has_any_permission", "c", "d")}, user, 403},
		{"has_all_permissions", []GuardConfig{g("has_all_permissions", "a", "b")}, user, 0},
		{"has_all_permissions denied", []GuardConfig{g("has_all_permissions", "a", "c")}, user, 403},
		{"first failure decides", []GuardConfig{g("is_staff"), g("is_authenticated")}, anon, 403},
		{"first failure decides (401)", []GuardConfig{g("is_authenticated"), g("is_staff")}, anon, 401},
		{"all pass", []GuardConfig{g("is_authenticated"), g("has_permission", "b")}, user, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			gs, err := newGuards("r", tc.guards)
			if err != nil {
				t.Fatal(err)
			}
			if got := decide(gs, tc.auth); got != tc.want {
				t.Fatalf("decide = %d, want %d", got, tc.want)
			}
		})
	}
}

func TestGuardConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		g    GuardConfig
		want string
	}{
		{GuardConfig{Type: "is_authenticatd"}, `unknown guard type "is_authenticatd"; use "allow_any"`},
		{GuardConfig{Type: "has_permission"}, "takes one non-empty permission"},
		{GuardConfig{Type: "has_permission", Permissions: []string{"a"}}, "has_any_permission"},
		{GuardConfig{Type: "has_any_permission"}, "non-empty permissions list"},
		{GuardConfig{Type: "has_all_permissions", Permissions: []string{"a", ""}}, "empty string"},
		{GuardConfig{Type: "is_staff", Permission: "a"}, "takes no permission options"},
	} {
		_, err := newGuards("GET /x", []GuardConfig{{Type: "allow_any"}, tc.g})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "route GET /x: guards[1]") {
			t.Errorf("%+v: err = %v, want %q", tc.g, err, tc.want)
		}
	}
}

// TestGuardTableSharedWithPython runs the table that python/tests/test_auth_guards.py
// runs through the Python guards: both sides must answer every case alike.
func TestGuardTableSharedWithPython(t *testing.T) {
	raw, err := os.ReadFile("testdata/guard_cases.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Cases []struct {
			ContextName string         `json:"context_name"`
			Context     map[string]any `json:"context"`
			Guard       GuardConfig    `json:"guard"`
			Status      int            `json:"status"`
		} `json:"cases"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Cases) == 0 {
		t.Fatal("no cases")
	}
	for _, tc := range doc.Cases {
		gs, err := newGuards("/t", []GuardConfig{tc.Guard})
		if err != nil {
			t.Fatalf("%+v: %v", tc.Guard, err)
		}
		if got := decide(gs, authFromContext(tc.Context)); got != tc.Status {
			t.Errorf("%s, guard %+v: %d, want %d", tc.ContextName, tc.Guard, got, tc.Status)
		}
	}
}

// authFromContext is the Auth whose request["context"] is ctx (server.authContext's
// inverse); a context without auth_backend had no authentication.
func authFromContext(ctx map[string]any) *Auth {
	backend, ok := ctx["auth_backend"].(string)
	if !ok {
		return nil
	}
	a := &Auth{Backend: backend}
	a.UserID, a.HasUserID = ctx["user_id"].(string)
	a.IsStaff, _ = ctx["is_staff"].(bool)
	a.IsAdmin, _ = ctx["is_admin"].(bool)
	if perms, ok := ctx["permissions"].([]any); ok {
		for _, p := range perms {
			a.Permissions = append(a.Permissions, p.(string))
		}
	}
	return a
}
