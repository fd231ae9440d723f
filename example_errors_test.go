package getty_test

import (
	"errors"
	"fmt"

	"github.com/gettykit/getty"
)

// Getty's error codes are matched with errors.Is, through any wrapping, or
// compared with APIError.Code.
func ExampleCode() {
	var err error = &getty.APIError{StatusCode: 404, Code: getty.ImageNotFound, Message: "Image not found"}
	err = fmt.Errorf("saving 123: %w", err)

	fmt.Println(errors.Is(err, getty.ImageNotFound), errors.Is(err, getty.OverageLimitReached))
	var apiErr *getty.APIError
	if errors.As(err, &apiErr) && apiErr.Code == getty.ImageNotFound {
		fmt.Println(apiErr.Code)
	}
	// Output:
	// true false
	// ImageNotFound
}
