// Reads HTTP/1.1 requests exactly as the Kubernetes apiserver does, and prints the identity its impersonation
// filter would act on, for tests that compare it with what kube-aad-proxy checked. The request is parsed by Go's
// own net/http (net/textproto: trimming, value validation, header canonicalisation); the header reading below is
// that of k8s.io/apiserver v0.34 pkg/endpoints/filters/impersonation.go (buildImpersonationRequests and
// unescapeExtraKey), standard library only so it builds in seconds.
//
// Input: one JSON object per line, {"raw": "<base64 of the request bytes>"}. Output: one JSON object per line,
// {"error": "..."} or {"user": B, "uid": B, "groups": [B], "extra": {"<key>": [B]}}, B the base64 of the value's
// bytes (Go strings are bytes; the test decodes them as UTF-8 itself).
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"os"
	"strings"
)

const (
	impersonateUser        = "Impersonate-User"
	impersonateUID         = "Impersonate-Uid"
	impersonateGroup       = "Impersonate-Group"
	impersonateExtraPrefix = "Impersonate-Extra-"
)

type identity struct {
	Error  string              `json:"error,omitempty"`
	User   []byte              `json:"user,omitempty"`
	UID    []byte              `json:"uid,omitempty"`
	Groups [][]byte            `json:"groups,omitempty"`
	Extra  map[string][][]byte `json:"extra,omitempty"`
}

func unescapeExtraKey(encodedKey string) string {
	key, err := url.PathUnescape(encodedKey)
	if err != nil {
		return encodedKey
	}
	return key
}

func read(raw []byte) identity {
	req, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		return identity{Error: err.Error()}
	}
	out := identity{Extra: map[string][][]byte{}}
	if user := req.Header.Get(impersonateUser); len(user) > 0 {
		out.User = []byte(user)
	}
	for _, group := range req.Header[impersonateGroup] {
		out.Groups = append(out.Groups, []byte(group))
	}
	for name, values := range req.Header {
		if !strings.HasPrefix(name, impersonateExtraPrefix) {
			continue
		}
		key := unescapeExtraKey(strings.ToLower(name[len(impersonateExtraPrefix):]))
		for _, value := range values {
			out.Extra[key] = append(out.Extra[key], []byte(value))
		}
	}
	if uid := req.Header.Get(impersonateUID); len(uid) > 0 {
		out.UID = []byte(uid)
	}
	return out
}

func main() {
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 64<<20)
	out := json.NewEncoder(os.Stdout)
	for in.Scan() {
		var line struct {
			Raw []byte `json:"raw"`
		}
		result := identity{Error: "bad input line"}
		if json.Unmarshal(in.Bytes(), &line) == nil {
			result = read(line.Raw)
		}
		if err := out.Encode(result); err != nil {
			os.Exit(1)
		}
	}
}
