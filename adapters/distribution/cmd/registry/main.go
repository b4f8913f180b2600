// Command registry is CNCF distribution 2.8's registry with the s3drv storage driver linked
// in: configure it with `storage: s3drv: {socket: ..., tenant: ...}` beside `s3drv serve`.
package main

import (
	"github.com/docker/distribution/registry"
	_ "github.com/docker/distribution/registry/auth/htpasswd"
	_ "github.com/docker/distribution/registry/auth/token"
	_ "github.com/docker/distribution/registry/storage/driver/filesystem"
	_ "github.com/docker/distribution/registry/storage/driver/inmemory"

	_ "s3drv/distribution/driver"
)

func main() {
	registry.RootCmd.Execute()
}
