// etcd from the same module graph Kubernetes pins, as etcd's own server/main.go does it.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
