package driver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	storagedriver "github.com/docker/distribution/registry/storage/driver"
)

// Writer returns a FileWriter for path, a new upload or (append) the unfinished one.
func (d *Driver) Writer(ctx context.Context, path string, append bool) (storagedriver.FileWriter, error) {
	query := pathQuery(path)
	query.Set("append", strconv.FormatBool(append))
	response, err := d.call(ctx, http.MethodPost, "writers", query, nil)
	if err != nil {
		return nil, err
	}
	var opened struct {
		ID   string `json:"id"`
		Size int64  `json:"size"`
	}
	if err := d.decodeJSON(response, &opened); err != nil {
		return nil, err
	}
	return &writer{driver: d, session: "writers/" + url.PathEscape(opened.ID), size: opened.Size}, nil
}

// writer streams the bytes of Write calls to the sidecar in one request, started at the
// first Write and ended by Size's callers' Close, Commit or Cancel.
type writer struct {
	driver  *Driver
	session string
	size    int64
	// The data request in flight: its body, and where its outcome arrives.
	pipe    *io.PipeWriter
	outcome chan dataOutcome
	// failed is the error of a data request that ended early: how many of its bytes reached
	// the sidecar is unknown here, so the writer takes no more (writing on could leave a gap);
	// Close keeps what arrived, resumable with Writer(path, true).
	failed error

	closed, committed, canceled bool
}

// dataOutcome is how a data request ended: the writer's size the sidecar counted, or why not.
type dataOutcome struct {
	size int64
	err  error
}

var errCanceled = errors.New("the upload was canceled")

func (w *writer) state() error {
	switch {
	case w.failed != nil:
		return w.failed
	case w.closed:
		return fmt.Errorf("already closed")
	case w.committed:
		return fmt.Errorf("already committed")
	case w.canceled:
		return fmt.Errorf("already cancelled")
	}
	return nil
}

// Write hands p to the sidecar's writer.
func (w *writer) Write(p []byte) (int, error) {
	if err := w.state(); err != nil {
		return 0, err
	}
	if w.pipe == nil {
		reader, pipe := io.Pipe()
		w.pipe, w.outcome = pipe, make(chan dataOutcome, 1)
		go func() {
			var outcome dataOutcome
			response, err := w.driver.call(context.Background(), http.MethodPost, w.session+"/data", nil, reader)
			if err == nil {
				var answer struct {
					Size int64 `json:"size"`
				}
				err = w.driver.decodeJSON(response, &answer)
				outcome.size = answer.Size
			}
			outcome.err = err
			reader.CloseWithError(err)
			w.outcome <- outcome
		}()
	}
	n, err := w.pipe.Write(p)
	w.size += int64(n)
	if err != nil {
		// The request ended early: its outcome says why.
		if failed := w.finishData(); failed != nil {
			return n, failed
		}
	}
	return n, err
}

// finishData ends the data request in flight, if any: the size becomes the sidecar's count;
// a failure fails the writer.
func (w *writer) finishData() error {
	if w.pipe == nil {
		return w.failed
	}
	w.pipe.Close()
	outcome := <-w.outcome
	w.pipe, w.outcome = nil, nil
	if outcome.err != nil {
		w.failed = outcome.err
		return outcome.err
	}
	w.size = outcome.size
	return nil
}

// Size is every byte written, including earlier sessions of a resumed upload.
func (w *writer) Size() int64 {
	return w.size
}

func (w *writer) action(name string) error {
	response, err := w.driver.call(context.Background(), http.MethodPost, w.session+"/"+name, nil, nil)
	if err != nil {
		return err
	}
	discard(response)
	return nil
}

// Close stores what was written and leaves the upload open for a later Writer(path, true).
func (w *writer) Close() error {
	if w.closed {
		return fmt.Errorf("already closed")
	}
	w.closed = true
	failed := w.finishData()
	// Close stores what arrived even after a failed data request.
	if err := w.action("close"); err != nil {
		return err
	}
	return failed
}

// Cancel aborts the upload.
func (w *writer) Cancel() error {
	if w.closed {
		return fmt.Errorf("already closed")
	} else if w.committed {
		return fmt.Errorf("already committed")
	}
	w.canceled = true
	if w.pipe != nil {
		w.pipe.CloseWithError(errCanceled)
		<-w.outcome
		w.pipe, w.outcome = nil, nil
	}
	return w.action("cancel")
}

// Commit completes the upload: the object becomes visible.
func (w *writer) Commit() error {
	if err := w.state(); err != nil {
		return err
	}
	w.committed = true
	if err := w.finishData(); err != nil {
		return err
	}
	return w.action("commit")
}
