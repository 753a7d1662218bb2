package gridio

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"iter"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/gridmap/gridmap"
)

// Formats beyond GeoJSON and CSV (Shapefile, zipped or not; GeoPackage;
// anything else GDAL reads) go through GDAL's command-line tools (Debian
// package gdal-bin), when they are installed: ogr2ogr converts the layer
// to GeoJSON in EPSG:4326 in a temporary file, and ReadGeoJSON reads that,
// so every check of the GeoJSON path applies unchanged.
//
// Coordinate systems. ogr2ogr reprojects from the layer's own coordinate
// system to EPSG:4326 (WGS84). CGCS2000 (EPSG:4490, and the projected
// CGCS2000 / Gauss-Krüger zones surveying companies deliver) is taken as
// WGS84: the two datums differ by centimetres, well below what a grid
// boundary means, so PROJ's null datum shift is what we want. A layer with
// no coordinate system (a Shapefile without .prj) is taken as longitude,
// latitude in degrees; projected coordinates then fail the range check.

// OGROptions controls ReadOGR.
type OGROptions struct {
	// Layer names the layer of a file with several (a GeoPackage, a zip
	// of Shapefiles); empty for a file with one.
	Layer string
	// Encoding is the text encoding of a Shapefile's attributes when its
	// .cpg does not say (e.g. GBK, as many Chinese Shapefiles are).
	Encoding string
}

// HaveOGR reports whether GDAL's ogr2ogr and ogrinfo are installed.
func HaveOGR() bool {
	_, err1 := exec.LookPath("ogr2ogr")
	_, err2 := exec.LookPath("ogrinfo")
	return err1 == nil && err2 == nil
}

// errNoOGR says how to get GDAL.
func errNoOGR(path string) error {
	return gridmap.Errorf(gridmap.EINVALID, "reading %s needs GDAL's ogr2ogr, which is not installed: install the Debian package gdal-bin (apt-get install gdal-bin), or convert the file to GeoJSON yourself (ogr2ogr -f GeoJSON -t_srs EPSG:4326 out.geojson %s)", filepath.Base(path), filepath.Base(path))
}

// ogrSource returns the name GDAL opens for path: a zip through /vsizip/.
func ogrSource(path string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	if strings.EqualFold(filepath.Ext(abs), ".zip") {
		return "/vsizip/" + abs, nil
	}
	return abs, nil
}

// ReadOGR converts the layer of path to GeoJSON with ogr2ogr and streams it
// as rows (see ReadGeoJSON). The temporary file is removed when the
// returned sequence has been read to its end or abandoned, and by cleanup,
// which the caller must call in case the sequence is never read.
//
// Errors: EINVALID when GDAL is not installed, cannot open the file, the
// file has several layers and o.Layer is empty, or o.Layer is not one.
func ReadOGR(ctx context.Context, path string, p Props, o OGROptions) (rows iter.Seq2[gridmap.GridRow, error], cleanup func() error, err error) {
	if !HaveOGR() {
		return nil, nil, errNoOGR(path)
	}
	if _, err := os.Stat(path); err != nil {
		return nil, nil, gridmap.Errorf(gridmap.EINVALID, "cannot read %s: %v", path, errors.Unwrap(err))
	}
	src, err := ogrSource(path)
	if err != nil {
		return nil, nil, err
	}
	var openOpts []string
	if o.Encoding != "" {
		openOpts = append(openOpts, "-oo", "ENCODING="+o.Encoding)
	}
	layers, err := ogrLayers(ctx, path, src, openOpts)
	if err != nil {
		return nil, nil, err
	}
	layer := o.Layer
	switch {
	case layer == "" && len(layers) == 1:
		layer = layers[0]
	case layer == "" && len(layers) == 0:
		return nil, nil, gridmap.Errorf(gridmap.EINVALID, "%s has no layer GDAL can read", filepath.Base(path))
	case layer == "":
		return nil, nil, gridmap.Errorf(gridmap.EINVALID, "%s has %d layers (%s): choose one with --layer", filepath.Base(path), len(layers), strings.Join(layers, ", "))
	default:
		found := false
		for _, l := range layers {
			found = found || l == layer
		}
		if !found {
			return nil, nil, gridmap.Errorf(gridmap.EINVALID, "%s has no layer %q; its layers are %s", filepath.Base(path), layer, strings.Join(layers, ", "))
		}
	}
	hasSRS, err := ogrHasSRS(ctx, path, src, layer, openOpts)
	if err != nil {
		return nil, nil, err
	}

	dir, err := os.MkdirTemp("", "gridmap-ogr-")
	if err != nil {
		return nil, nil, err
	}
	out := filepath.Join(dir, "layer.geojson")
	args := append([]string{"-f", "GeoJSON", "-dim", "XY", "-lco", "RFC7946=NO", "-lco", "WRITE_BBOX=NO"}, openOpts...)
	if hasSRS {
		args = append(args, "-t_srs", "EPSG:4326")
	}
	args = append(args, out, src, layer)
	if msg, err := runGDAL(ctx, "ogr2ogr", args...); err != nil {
		os.RemoveAll(dir)
		return nil, nil, gridmap.Errorf(gridmap.EINVALID, "ogr2ogr could not convert %s: %s", filepath.Base(path), msg)
	}
	cleanup = func() error { return os.RemoveAll(dir) }
	return func(yield func(gridmap.GridRow, error) bool) {
		defer os.RemoveAll(dir)
		f, err := os.Open(out)
		if err != nil {
			yield(gridmap.GridRow{}, err)
			return
		}
		defer f.Close()
		for row, err := range ReadGeoJSON(f, p) {
			var ie *gridmap.ItemError
			if !hasSRS && errors.As(err, &ie) && strings.Contains(ie.Message, "outside lon") {
				ie.Message += fmt.Sprintf(" (%s has no coordinate system, so its coordinates were taken as degrees; if they are projected, give the file its coordinate system: a .prj, or ogr2ogr -a_srs)", filepath.Base(path))
			}
			if !yield(row, err) {
				return
			}
		}
	}, cleanup, nil
}

// runGDAL runs a GDAL tool and returns its error output, trimmed, when it
// fails.
func runGDAL(ctx context.Context, name string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	cmd.Stdout = &stderr
	err := cmd.Run()
	if err == nil {
		return "", nil
	}
	msg := strings.TrimSpace(stderr.String())
	if len(msg) > 2000 {
		msg = msg[:2000] + "…"
	}
	if msg == "" {
		msg = err.Error()
	}
	return msg, err
}

// layerLine matches a layer in ogrinfo's summary: "1: name (Polygon)".
var layerLine = regexp.MustCompile(`^\d+: (.+?)(?: \([^()]*\))?$`)

// ogrLayers lists the layers of src.
func ogrLayers(ctx context.Context, path, src string, openOpts []string) ([]string, error) {
	cmd := exec.CommandContext(ctx, "ogrinfo", append(append([]string{"-ro", "-q"}, openOpts...), src)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	outb, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return nil, gridmap.Errorf(gridmap.EINVALID, "GDAL cannot open %s: %s", filepath.Base(path), msg)
	}
	var layers []string
	sc := bufio.NewScanner(bytes.NewReader(outb))
	for sc.Scan() {
		if m := layerLine.FindStringSubmatch(strings.TrimSpace(sc.Text())); m != nil {
			layers = append(layers, m[1])
		}
	}
	return layers, nil
}

// ogrHasSRS reports whether the layer has a coordinate system.
func ogrHasSRS(ctx context.Context, path, src, layer string, openOpts []string) (bool, error) {
	cmd := exec.CommandContext(ctx, "ogrinfo", append(append([]string{"-ro", "-so"}, openOpts...), src, layer)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	outb, err := cmd.Output()
	if err != nil {
		return false, gridmap.Errorf(gridmap.EINVALID, "GDAL cannot read layer %s of %s: %s", layer, filepath.Base(path), strings.TrimSpace(stderr.String()))
	}
	_, after, ok := bytes.Cut(outb, []byte("Layer SRS WKT:\n"))
	if !ok {
		return false, nil
	}
	return !bytes.HasPrefix(bytes.TrimSpace(after), []byte("(unknown)")), nil
}
