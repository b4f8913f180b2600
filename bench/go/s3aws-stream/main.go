// Command s3aws-stream writes or reads one object through distribution 2.8.2's built-in
// s3aws storage driver (Debian's sources), the fourth client of make bench's stream rows:
//
//	s3aws-stream write PATH SIZE   # SIZE bytes in 1 MiB writes, then Commit
//	s3aws-stream read PATH         # to the end with a 1 MiB buffer; prints the byte count
//	s3aws-stream delete PATH
//
// The bucket comes from S3AWS_STREAM_ENDPOINT, _BUCKET, _ACCESS_KEY, _SECRET_KEY, _REGION
// and _ROOT; the chunk size is 10 MiB, as the other clients'.
package main

import (
	"context"
	"fmt"
	"io"
	"math/rand"
	"os"
	"strconv"

	s3 "github.com/docker/distribution/registry/storage/driver/s3-aws"
)

const (
	blockSize = 1 << 20
	poolSize  = 64 << 20
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "s3aws-stream:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) < 2 {
		return fmt.Errorf("usage: s3aws-stream write PATH SIZE | read PATH | delete PATH")
	}
	driver, err := s3.FromParameters(map[string]interface{}{
		"regionendpoint": os.Getenv("S3AWS_STREAM_ENDPOINT"),
		"bucket":         os.Getenv("S3AWS_STREAM_BUCKET"),
		"accesskey":      os.Getenv("S3AWS_STREAM_ACCESS_KEY"),
		"secretkey":      os.Getenv("S3AWS_STREAM_SECRET_KEY"),
		"region":         os.Getenv("S3AWS_STREAM_REGION"),
		"rootdirectory":  os.Getenv("S3AWS_STREAM_ROOT"),
		"secure":         false,
		"v4auth":         true,
		"chunksize":      10 << 20,
	})
	if err != nil {
		return err
	}
	ctx := context.Background()
	switch args[0] {
	case "write":
		if len(args) != 3 {
			return fmt.Errorf("usage: s3aws-stream write PATH SIZE")
		}
		size, err := strconv.ParseInt(args[2], 10, 64)
		if err != nil {
			return fmt.Errorf("size %q: %v", args[2], err)
		}
		return write(ctx, driver, args[1], size)
	case "read":
		n, err := read(ctx, driver, args[1])
		if err != nil {
			return err
		}
		fmt.Println(n)
		return nil
	case "delete":
		return driver.Delete(ctx, args[1])
	}
	return fmt.Errorf("unknown command %q", args[0])
}

// write stores size bytes cut from a pool of random bytes as the bench's Rust clients do
// (bench/src/data.rs): every 1 MiB block at another offset, so that no two are equal. Garage
// stores equal blocks once; an object of one repeated block would read from one cached
// block and flatter this client's read.
func write(ctx context.Context, driver *s3.Driver, path string, size int64) error {
	pool := make([]byte, poolSize)
	rand.New(rand.NewSource(5)).Read(pool)
	w, err := driver.Writer(ctx, path, false)
	if err != nil {
		return err
	}
	for index, written := int64(0), int64(0); written < size; index++ {
		n := int64(blockSize)
		if size-written < n {
			n = size - written
		}
		start := index * 4099 * 257 % (poolSize - blockSize)
		if _, err := w.Write(pool[start : start+n]); err != nil {
			w.Cancel()
			return err
		}
		written += n
	}
	if err := w.Commit(); err != nil {
		return err
	}
	return w.Close()
}

func read(ctx context.Context, driver *s3.Driver, path string) (int64, error) {
	r, err := driver.Reader(ctx, path, 0)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	// Read by hand: io.Copy to io.Discard would read in its own 8 KiB blocks.
	buffer := make([]byte, blockSize)
	var total int64
	for {
		n, err := r.Read(buffer)
		total += int64(n)
		if err == io.EOF {
			return total, nil
		}
		if err != nil {
			return total, err
		}
	}
}
