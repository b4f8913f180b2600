package driver

import (
	"os"
	"testing"

	storagedriver "github.com/docker/distribution/registry/storage/driver"
	"github.com/docker/distribution/registry/storage/driver/testsuites"
	"gopkg.in/check.v1"
)

// Test runs distribution's own storage-driver suite, unmodified, through the sidecar named
// by S3DRV_SOCKET (or S3DRV_ADDRESS) and S3DRV_TENANT. Without them it fails: a suite that
// cannot reach its server must not pass by skipping.
func Test(t *testing.T) { check.TestingT(t) }

func init() {
	testsuites.RegisterSuite(func() (storagedriver.StorageDriver, error) {
		socket, address := os.Getenv("S3DRV_SOCKET"), os.Getenv("S3DRV_ADDRESS")
		return New(socket, address, os.Getenv("S3DRV_TOKEN"), os.Getenv("S3DRV_TENANT"))
	}, testsuites.NeverSkip)
}
