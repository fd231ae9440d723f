package specconv

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/speakeasy-api/openapi/overlay"
	"gopkg.in/yaml.v3"
)

// MatchesKey is the action extension that states how many nodes an overlay
// action's target must match. Without it, exactly one.
const MatchesKey = "x-matches"

// applyOverlay applies an OpenAPI Overlay document, one action at a time.
// Every action must have a description and match exactly the number of
// nodes it declares (MatchesKey, default 1) in the document as the actions
// before it left it. The failing actions are returned together as
// actionErrs, one per line, beside the document the other actions made; err
// is a failure to apply the overlay at all.
func applyOverlay(doc map[string]any, f File) (out map[string]any, actionErrs, err error) {
	if _, err := parseYAML(f); err != nil {
		return nil, nil, err
	}
	ov, err := overlay.ParseReader(bytes.NewReader(f.Data))
	if err != nil {
		return nil, nil, &Error{File: f.Name, Err: fmt.Errorf("malformed overlay: %w", err)}
	}
	if ov.Version == "" || len(ov.Actions) == 0 {
		return nil, nil, &Error{File: f.Name, Err: errors.New("not an OpenAPI Overlay document: no \"overlay\" version or no actions")}
	}
	if err := ov.Validate(); err != nil {
		return nil, nil, &Error{File: f.Name, Err: fmt.Errorf("invalid overlay: %w", err)}
	}
	var node yaml.Node
	if err := node.Encode(doc); err != nil {
		return nil, nil, &Error{File: f.Name, Err: err}
	}
	root := &yaml.Node{Kind: yaml.DocumentNode, Content: []*yaml.Node{&node}}

	var errs []error
	for i, a := range ov.Actions {
		if err := applyAction(ov, a, root); err != nil {
			errs = append(errs, &Error{File: f.Name, Pointer: fmt.Sprintf("/actions/%d", i), Err: fmt.Errorf("target %s: %w", a.Target, err)})
		}
	}
	v, err := nodeValue(root, "")
	if err != nil {
		return nil, nil, &Error{File: f.Name, Err: fmt.Errorf("result of the overlay: %w", err)}
	}
	out, ok := v.(map[string]any)
	if !ok {
		return nil, nil, &Error{File: f.Name, Err: errors.New("the overlay replaced the document root with a non-mapping")}
	}
	return out, errors.Join(errs...), nil
}

// applyAction checks one action's match count and applies it.
func applyAction(ov *overlay.Overlay, a overlay.Action, root *yaml.Node) error {
	if strings.TrimSpace(a.Description) == "" {
		return errors.New("the action has no description naming its source")
	}
	want, err := expectedMatches(a)
	if err != nil {
		return err
	}
	path, err := ov.NewPath(a.Target, nil)
	if err != nil {
		return fmt.Errorf("invalid selector: %w", err)
	}
	got := len(path.Query(root))
	// The action is applied even when its count is wrong: the run fails
	// anyway, and what the later checks report is then about the upstream
	// change, not about this action's other targets.
	one := *ov
	one.Actions = []overlay.Action{a}
	if err := one.ApplyTo(root); err != nil {
		return err
	}
	if got != want {
		return fmt.Errorf("matched %s, the action expects %d (%s); the upstream files changed: fix the target, or the count if it is meant to change more",
			plural(got, "node"), want, MatchesKey)
	}
	return nil
}

func expectedMatches(a overlay.Action) (int, error) {
	v, ok := a.Extensions[MatchesKey]
	if !ok {
		return 1, nil
	}
	n, ok := v.(int)
	if !ok || n < 1 {
		return 0, fmt.Errorf("%s is %v; it must be a whole number of at least 1", MatchesKey, v)
	}
	return n, nil
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
