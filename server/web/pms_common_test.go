package web

import (
	"testing"

	aura "github.com/aurapms/aura"
)

// TestFormFieldErrorsBanner checks that the banner of an invalid form reads
// as one sentence: the store's message, a colon, then each field's fix.
func TestFormFieldErrorsBanner(t *testing.T) {
	err := aura.Invalid("The property is not valid.",
		aura.FieldError{Field: "name", Message: "must be 1 to 80 characters"},
		aura.FieldError{Field: "address.city", Message: "is required"})
	var p Page
	p.FormFieldErrors(err, nil)
	want := "The property is not valid: Name must be 1 to 80 characters; City is required."
	if p.Error != want {
		t.Fatalf("banner = %q, want %q", p.Error, want)
	}
	if p.Errors["name"] != "Name must be 1 to 80 characters" {
		t.Fatalf("field error of name = %q", p.Errors["name"])
	}

	// An error that is not about input keeps its own message alone.
	p = Page{}
	p.FormFieldErrors(aura.Errorf(aura.ECONFLICT, "The room is taken."), nil)
	if p.Error != "The room is taken." {
		t.Fatalf("banner = %q", p.Error)
	}
}
