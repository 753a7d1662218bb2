// Command barehttp is the baseline for HTTP benchmarks: a net/http server
// whose handler does no work, so a figure for gridmap can be read as a
// fraction of what the HTTP stack alone allows on the same machine.
package main

import (
	"flag"
	"log"
	"net/http"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:18081", "listen address (loopback)")
	flag.Parse()
	body := []byte(`{"grid":{"code":"0"}}` + "\n")
	log.Fatal(http.ListenAndServe(*addr, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})))
}
