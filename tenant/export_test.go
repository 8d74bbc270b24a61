package tenant

// SetBeforeRegister makes r call f after each open of a tenant file and its
// re-check of the tenant's status, before the handle is registered, so a
// test can force a status change into that window.
func SetBeforeRegister(r *Router, f func(slug string)) { r.beforeRegister = f }
