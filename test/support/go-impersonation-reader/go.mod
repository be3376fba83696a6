module clusterconnect.test/go-impersonation-reader

go 1.24
