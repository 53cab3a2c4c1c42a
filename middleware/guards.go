package middleware

import (
	"fmt"
	"slices"
)

type guardKind uint8

const (
	guardAllowAny guardKind = iota + 1
	guardIsAuthenticated
	guardIsAdmin
	guardIsStaff
	guardHasPermission
	guardHasAnyPermission
	guardHasAllPermissions
)

var guardKinds = map[string]guardKind{
	"allow_any":           guardAllowAny,
	"is_authenticated":    guardIsAuthenticated,
	"is_admin":            guardIsAdmin,
	"is_staff":            guardIsStaff,
	"has_permission":      guardHasPermission,
	"has_any_permission":  guardHasAnyPermission,
	"has_all_permissions": guardHasAllPermissions,
}

const guardNames = `"allow_any", "is_authenticated", "is_admin", "is_staff", "has_permission", "has_any_permission" or "has_all_permissions"`

type guard struct {
	kind  guardKind
	perms []string
}

func newGuards(route string, cs []GuardConfig) ([]guard, error) {
	gs := make([]guard, 0, len(cs))
	for i, c := range cs {
		entry := fmt.Sprintf("guards[%d]", i)
		kind, ok := guardKinds[c.Type]
		if !ok {
			return nil, configError(route, entry, "unknown guard type %q; use %s", c.Type, guardNames)
		}
		g := guard{kind: kind}
		switch kind {
		case guardHasPermission:
			if c.Permission == "" || len(c.Permissions) > 0 {
				return nil, configError(route, entry, "has_permission takes one non-empty permission; for several use has_any_permission or has_all_permissions with permissions")
			}
			g.perms = []string{c.Permission}
		case guardHasAnyPermission, guardHasAllPermissions:
			if len(c.Permissions) == 0 || c.Permission != "" {
				return nil, configError(route, entry, "%s takes a non-empty permissions list (not permission)", c.Type)
			}
			if slices.Contains(c.Permissions, "") {
				return nil, configError(route, entry, "permissions contains an empty string; remove it")
			}
			g.perms = c.Permissions
		default:
			if c.Permission != "" || len(c.Permissions) > 0 {
				return nil, configError(route, entry, "%s takes no permission options; use has_permission, has_any_permission or has_all_permissions", c.Type)
			}
		}
		gs = append(gs, g)
	}
	return gs, nil
}

// decide runs the guards in order and returns 0 to allow, or the status of
// the first failing guard (401 without credentials, 403 with insufficient
// ones).
func decide(guards []guard, a *Auth) int {
	for _, g := range guards {
		switch g.kind {
		case guardAllowAny:
			return 0
		case guardIsAuthenticated:
			if a == nil || !a.HasUserID {
				return 401
			}
			continue
		}
		if a == nil {
			return 401
		}
		var ok bool
		switch g.kind {
		case guardIsAdmin:
			ok = a.IsAdmin
		case guardIsStaff:
			ok = a.IsStaff
		case guardHasPermission, guardHasAnyPermission:
			ok = slices.ContainsFunc(g.perms, func(p string) bool { return slices.Contains(a.Permissions, p) })
		case guardHasAllPermissions:
			ok = !slices.ContainsFunc(g.perms, func(p string) bool { return !slices.Contains(a.Permissions, p) })
		}
		if !ok {
			return 403
		}
	}
	return 0
}
