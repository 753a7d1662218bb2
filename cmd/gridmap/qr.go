package main

import (
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"

	qrcode "github.com/skip2/go-qrcode"
)

// fieldLink is the field app's sign-in link for tok: the token travels in
// the fragment, which the browser never sends to a server or a proxy log.
func fieldLink(base, tok string) string {
	return strings.TrimRight(base, "/") + "/field#token=" + url.QueryEscape(tok)
}

// checkBaseURL refuses a --url that a phone could not open.
func checkBaseURL(base string) error {
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("--url %q: give the server's address as phones reach it, such as https://grid.example.cn", base)
	}
	return nil
}

// writeQR prints link as a QR code of half-block characters, two modules
// a character row, dark on light whatever the terminal's colours (medium
// error correction: a screen photographed at an angle still reads).
func writeQR(w io.Writer, link string) error {
	q, err := qrcode.New(link, qrcode.Medium)
	if err != nil {
		return fmt.Errorf("QR code: %w", err)
	}
	_, err = io.WriteString(w, q.ToSmallString(false))
	return err
}

// writeQRPNG writes link's QR code as a PNG of 512×512 pixels to file.
func writeQRPNG(file, link string) error {
	png, err := qrcode.Encode(link, qrcode.Medium, 512)
	if err != nil {
		return fmt.Errorf("QR code: %w", err)
	}
	return os.WriteFile(file, png, 0o600)
}
