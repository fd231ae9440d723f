package gettytest

import (
	"fmt"
	"net/http"
)

// token serves the OAuth2 token endpoint the way Getty's does: a
// form-encoded POST with client_id (the API key) and client_secret in the
// body (HTTP Basic is accepted too), and the client_credentials, password
// and refresh_token grants. An Api-Key header (the archived Ruby SDK sends
// one) is ignored: only the form or HTTP Basic identifies the client.
// expires_in is a JSON number, which Getty's .NET SDK requires, unless
// WithExpiresInString asks for the string some of Getty's docs show. Errors
// follow RFC 6749.
func (h *handler) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_request", "error_description": err.Error()})
		return
	}
	id, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok && id == "" {
		id, secret = u, p
	}
	if id != APIKey || secret != ClientSecret {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_client"})
		return
	}
	user := false
	var refresh string
	switch r.PostForm.Get("grant_type") {
	case "client_credentials":
	case "password":
		if r.PostForm.Get("username") != Username || r.PostForm.Get("password") != Password {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": "wrong username or password"})
			return
		}
		user = true
		refresh = h.newRefreshToken()
	case "refresh_token":
		rt := r.PostForm.Get("refresh_token")
		h.mu.Lock()
		ok := h.refresh[rt]
		h.mu.Unlock()
		if !ok {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant", "error_description": "unknown refresh token"})
			return
		}
		user, refresh = true, rt
	default:
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "unsupported_grant_type"})
		return
	}
	resp := map[string]any{
		"access_token": h.issue(user),
		"token_type":   "Bearer",
		"expires_in":   1800,
	}
	if h.cfg.expiresString {
		resp["expires_in"] = "1800"
	}
	if refresh != "" {
		resp["refresh_token"] = refresh
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, resp)
}

func (h *handler) issue(user bool) string {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	kind := "app"
	if user {
		kind = "user"
	}
	tok := fmt.Sprintf("gettytest-%s-token-%d", kind, h.seq)
	h.tokens[tok] = tokenInfo{user: user}
	return tok
}

func (h *handler) newRefreshToken() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	rt := fmt.Sprintf("gettytest-refresh-token-%d", h.seq)
	h.refresh[rt] = true
	return rt
}

func (h *handler) expireTokens() {
	h.mu.Lock()
	defer h.mu.Unlock()
	clear(h.tokens)
}
