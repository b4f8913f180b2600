// Package driver is a storage driver for CNCF distribution 2.8 that keeps every blob,
// manifest and upload through `s3drv serve`: the S3 logic runs in the s3drv component,
// sandboxed in the sidecar; this package only speaks the sidecar's protocol
// (docs/sidecar-protocol.md) and maps its errors to distribution's typed errors.
//
// It registers as "s3drv". Parameters (the registry's `storage: s3drv:` block):
//
//	socket   the sidecar's Unix socket (or address: host:port of a loopback TCP listener)
//	token    the tenant's bearer token, when the sidecar requires one
//	tenant   the tenant to use (default "default")
package driver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	storagedriver "github.com/docker/distribution/registry/storage/driver"
	"github.com/docker/distribution/registry/storage/driver/factory"
)

// driverName is the key of the registry's `storage:` block that selects this driver.
const driverName = "s3drv"

// errorName is the driver name in errors: the reference S3 driver's, so that registry
// logs and alerts read as before.
const errorName = "s3aws"

func init() {
	factory.Register(driverName, &driverFactory{})
}

type driverFactory struct{}

func (*driverFactory) Create(parameters map[string]interface{}) (storagedriver.StorageDriver, error) {
	return FromParameters(parameters)
}

// Driver is a storagedriver.StorageDriver that calls `s3drv serve`.
type Driver struct {
	client *http.Client
	// base is the URL of the tenant's operations: http://s3drv/v1/TENANT/.
	base  string
	token string
	// where names the sidecar in errors.
	where string
}

var _ storagedriver.StorageDriver = &Driver{}

// FromParameters builds a driver from the registry's parameters.
func FromParameters(parameters map[string]interface{}) (*Driver, error) {
	values := map[string]string{}
	for _, key := range []string{"socket", "address", "token", "tenant"} {
		value, ok := parameters[key]
		if !ok || value == nil {
			continue
		}
		text, ok := value.(string)
		if !ok {
			return nil, fmt.Errorf("s3drv: parameter %s must be a string, not %T", key, value)
		}
		values[key] = text
	}
	socket, address, token, tenant := values["socket"], values["address"], values["token"], values["tenant"]
	if tenant == "" {
		tenant = "default"
	}
	return New(socket, address, token, tenant)
}

// New returns a driver for tenant of the sidecar listening on the Unix socket socket, or
// at the TCP address when socket is empty.
func New(socket, address, token, tenant string) (*Driver, error) {
	if (socket == "") == (address == "") {
		return nil, errors.New("s3drv: set exactly one of the parameters socket and address")
	}
	network, target, where := "unix", socket, socket
	if socket == "" {
		network, target, where = "tcp", address, address
	}
	transport := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var dialer net.Dialer
			return dialer.DialContext(ctx, network, target)
		},
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
	}
	return &Driver{
		client: &http.Client{Transport: transport},
		base:   "http://s3drv/v1/" + url.PathEscape(tenant) + "/",
		token:  token,
		where:  where,
	}, nil
}

// Name is the driver name in errors.
func (d *Driver) Name() string {
	return errorName
}

// failure is the sidecar's error document.
type failure struct {
	Error struct {
		Kind    string `json:"kind"`
		Message string `json:"message"`
		Path    string `json:"path"`
		Offset  int64  `json:"offset"`
	} `json:"error"`
}

// call sends one request and returns the answer when it is a success; otherwise the
// sidecar's error as distribution's typed error.
func (d *Driver) call(ctx context.Context, method, operation string, query url.Values, body io.Reader) (*http.Response, error) {
	target := d.base + operation
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	request, err := http.NewRequestWithContext(ctx, method, target, body)
	if err != nil {
		return nil, d.wrap(err)
	}
	if d.token != "" {
		request.Header.Set("Authorization", "Bearer "+d.token)
	}
	response, err := d.client.Do(request)
	if err != nil {
		return nil, d.wrap(fmt.Errorf("the s3drv sidecar at %s did not answer: %w", d.where, err))
	}
	if response.StatusCode/100 == 2 {
		return response, nil
	}
	defer response.Body.Close()
	return nil, d.decode(response)
}

// decode turns an error answer into distribution's typed errors.
func (d *Driver) decode(response *http.Response) error {
	var f failure
	text, _ := io.ReadAll(io.LimitReader(response.Body, 1<<20))
	if err := json.Unmarshal(text, &f); err != nil || f.Error.Kind == "" {
		return d.wrap(fmt.Errorf("the s3drv sidecar answered %s: %s", response.Status, strings.TrimSpace(string(text))))
	}
	switch f.Error.Kind {
	case "path-not-found":
		return storagedriver.PathNotFoundError{Path: f.Error.Path, DriverName: d.Name()}
	case "invalid-path":
		return storagedriver.InvalidPathError{Path: f.Error.Path, DriverName: d.Name()}
	case "invalid-offset":
		return storagedriver.InvalidOffsetError{Path: f.Error.Path, Offset: f.Error.Offset, DriverName: d.Name()}
	case "unsupported-method":
		return storagedriver.ErrUnsupportedMethod{DriverName: d.Name()}
	}
	return d.wrap(errors.New(strings.TrimPrefix(f.Error.Message, errorName+": ")))
}

func (d *Driver) wrap(err error) error {
	return storagedriver.Error{DriverName: d.Name(), Enclosed: err}
}

// decodeJSON reads a success answer's JSON into value.
func (d *Driver) decodeJSON(response *http.Response, value interface{}) error {
	defer response.Body.Close()
	if err := json.NewDecoder(response.Body).Decode(value); err != nil {
		return d.wrap(fmt.Errorf("the s3drv sidecar's answer is not readable: %w", err))
	}
	return nil
}

// discard reads and closes a success answer's body, so that its connection is reused.
func discard(response *http.Response) {
	io.Copy(io.Discard, response.Body)
	response.Body.Close()
}

func pathQuery(path string) url.Values {
	return url.Values{"path": {path}}
}

// GetContent retrieves the content stored at path.
func (d *Driver) GetContent(ctx context.Context, path string) ([]byte, error) {
	response, err := d.call(ctx, http.MethodGet, "content", pathQuery(path), nil)
	if err != nil {
		return nil, err
	}
	defer response.Body.Close()
	content, err := io.ReadAll(response.Body)
	if err != nil {
		return nil, d.wrap(fmt.Errorf("reading %s from the s3drv sidecar: %w", path, err))
	}
	return content, nil
}

// PutContent stores content at path.
func (d *Driver) PutContent(ctx context.Context, path string, content []byte) error {
	response, err := d.call(ctx, http.MethodPut, "content", pathQuery(path), bytes.NewReader(content))
	if err != nil {
		return err
	}
	discard(response)
	return nil
}

// Reader streams the content at path from offset.
func (d *Driver) Reader(ctx context.Context, path string, offset int64) (io.ReadCloser, error) {
	query := pathQuery(path)
	query.Set("offset", strconv.FormatInt(offset, 10))
	response, err := d.call(ctx, http.MethodGet, "reader", query, nil)
	if err != nil {
		return nil, err
	}
	return response.Body, nil
}

// fileInfo is the sidecar's file info.
type fileInfo struct {
	Path     string `json:"path"`
	Size     int64  `json:"size"`
	Modified *int64 `json:"modified"`
	IsDir    bool   `json:"is_dir"`
}

func (f fileInfo) toDriver() storagedriver.FileInfo {
	fields := storagedriver.FileInfoFields{Path: f.Path, Size: f.Size, IsDir: f.IsDir}
	if f.Modified != nil {
		fields.ModTime = time.Unix(0, *f.Modified)
	}
	return storagedriver.FileInfoInternal{FileInfoFields: fields}
}

// Stat retrieves the FileInfo of path.
func (d *Driver) Stat(ctx context.Context, path string) (storagedriver.FileInfo, error) {
	response, err := d.call(ctx, http.MethodGet, "stat", pathQuery(path), nil)
	if err != nil {
		return nil, err
	}
	var info fileInfo
	if err := d.decodeJSON(response, &info); err != nil {
		return nil, err
	}
	return info.toDriver(), nil
}

// List returns the direct children of path.
func (d *Driver) List(ctx context.Context, path string) ([]string, error) {
	response, err := d.call(ctx, http.MethodGet, "list", pathQuery(path), nil)
	if err != nil {
		return nil, err
	}
	children := []string{}
	if err := d.decodeJSON(response, &children); err != nil {
		return nil, err
	}
	return children, nil
}

// Move moves the object at sourcePath to destPath.
func (d *Driver) Move(ctx context.Context, sourcePath string, destPath string) error {
	response, err := d.call(ctx, http.MethodPost, "move", url.Values{"from": {sourcePath}, "to": {destPath}}, nil)
	if err != nil {
		return err
	}
	discard(response)
	return nil
}

// Delete deletes path and everything below it.
func (d *Driver) Delete(ctx context.Context, path string) error {
	response, err := d.call(ctx, http.MethodDelete, "files", pathQuery(path), nil)
	if err != nil {
		return err
	}
	discard(response)
	return nil
}

// URLFor returns a presigned URL of path; options may hold "method" (GET or HEAD) and
// "expiry" (a time.Time).
func (d *Driver) URLFor(ctx context.Context, path string, options map[string]interface{}) (string, error) {
	query := pathQuery(path)
	if method, ok := options["method"]; ok {
		text, ok := method.(string)
		if !ok {
			return "", storagedriver.ErrUnsupportedMethod{DriverName: d.Name()}
		}
		query.Set("method", text)
	}
	if expiry, ok := options["expiry"]; ok {
		if at, ok := expiry.(time.Time); ok {
			seconds := int64(time.Until(at).Seconds())
			if seconds < 1 {
				seconds = 1
			}
			query.Set("expiry", strconv.FormatInt(seconds, 10))
		}
	}
	response, err := d.call(ctx, http.MethodGet, "url", query, nil)
	if err != nil {
		return "", err
	}
	var answer struct {
		URL string `json:"url"`
	}
	if err := d.decodeJSON(response, &answer); err != nil {
		return "", err
	}
	return answer.URL, nil
}

// Walk calls f for everything below path, each directory before its contents. f returning
// storagedriver.ErrSkipDir for a directory skips it; for a file, it ends the walk.
func (d *Driver) Walk(ctx context.Context, path string, f storagedriver.WalkFn) error {
	response, err := d.call(ctx, http.MethodPost, "walkers", pathQuery(path), nil)
	if err != nil {
		return err
	}
	var opened struct {
		ID string `json:"id"`
	}
	if err := d.decodeJSON(response, &opened); err != nil {
		return err
	}
	walker := "walkers/" + url.PathEscape(opened.ID)
	finished := false
	defer func() {
		if !finished {
			// Stop the walk in the sidecar, even when ctx is done.
			stop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			if response, err := d.call(stop, http.MethodDelete, walker, nil, nil); err == nil {
				discard(response)
			}
		}
	}()
	for {
		response, err := d.call(ctx, http.MethodGet, walker+"/next", nil, nil)
		if err != nil {
			return err
		}
		var batch []fileInfo
		if err := d.decodeJSON(response, &batch); err != nil {
			return err
		}
		if len(batch) == 0 {
			finished = true
			return nil
		}
		// A batch ends with its first directory, so a skip names the directory just seen.
		for _, entry := range batch {
			err := f(entry.toDriver())
			if err == storagedriver.ErrSkipDir {
				if !entry.IsDir {
					return nil
				}
				response, err := d.call(ctx, http.MethodPost, walker+"/skip", nil, nil)
				if err != nil {
					return err
				}
				discard(response)
			} else if err != nil {
				return err
			}
		}
	}
}
