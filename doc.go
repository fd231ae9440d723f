// Package getty is a Go client for the Getty Images download API: a
// customer's download history and download URLs for images.
package getty
