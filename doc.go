// Package getty is a Go client for the Getty Images download API: a
// customer's download history (GET /v3/downloads) and download URLs for
// images (POST /v3/downloads/images/{id}, which spends download quota).
//
// It wraps the client generated from spec/openapi.yaml (package gen) with
// what every caller needs:
//
//   - Authentication: the Api-Key header on every API request, and OAuth2
//     bearer tokens (client credentials, resource-owner password, refresh
//     token, or a token or TokenSource of your own), cached and renewed once
//     however many goroutines need one. See [New] and the With options.
//   - Typed errors: every non-success answer is an [*APIError]; use
//     errors.Is with [ErrQuotaExhausted], [ErrNotFound], [ErrUnauthorized],
//     [ErrForbidden], [ErrRateLimited] or [ErrDailyLimit]; deadlines give a
//     [*TimeoutError].
//   - Retries that never spend quota twice: GET requests and connections
//     that never reached the server are retried with backoff; the download
//     POST is retried only when the gateway throttled it before spending
//     quota, never once it may have reached the download service.
//   - Listing: [Client.ListDownloads] for one page, [Client.Downloads] for
//     an iterator over every page, with an optional bounded prefetch.
//   - Downloads: [Client.DownloadURL] for the URL, [Client.OpenImage] to
//     stream the file, [Client.SaveImage] to save it. Redirects are followed
//     by this package so that credentials never leave the API host; the
//     first bytes are checked against the declared file type
//     ([*ContentMismatchError]); files are written completely or not at all.
//
// A Client has no global state and is safe for concurrent use. Methods take
// a context first; large downloads are bounded by the context, not by a
// client-wide timeout, and a silent server by the response-header and stall
// timeouts ([WithResponseHeaderTimeout], [WithStallTimeout]).
//
// For tests, package gettytest runs a fake Getty server, and package
// contract validates traffic against the spec.
package getty
