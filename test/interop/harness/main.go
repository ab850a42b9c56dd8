// Command harness syncs a baton connector served over plaintext gRPC (h2c) with baton-sdk's own
// syncer (pkg/sync) into a c1z v1 file written by baton-sdk's SQLite engine. The interop tests run
// it against `connector serve` to compare its file with the one `connector sync` writes.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	"github.com/conductorone/baton-sdk/pkg/connectorclient"
	"github.com/conductorone/baton-sdk/pkg/dotc1z/c1zstore"
	batonsync "github.com/conductorone/baton-sdk/pkg/sync"
)

func main() {
	address := flag.String("address", "127.0.0.1:50051", "host:port of the connector (plaintext gRPC)")
	out := flag.String("out", "baton-sync.c1z", "c1z file to write")
	tmp := flag.String("tmp", os.TempDir(), "directory for the syncer's temporary files")
	timeout := flag.Duration("timeout", 10*time.Minute, "give up after this long")
	flag.Parse()

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	if err := run(ctx, *address, *out, *tmp); err != nil {
		fmt.Fprintf(os.Stderr, "harness: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, address, out, tmp string) error {
	conn, err := grpc.NewClient(address, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return fmt.Errorf("dial %s: %w", address, err)
	}
	defer conn.Close()

	client := connectorclient.NewConnectorClient(ctx, conn)
	syncer, err := batonsync.NewSyncer(ctx, client,
		batonsync.WithC1ZPath(out),
		batonsync.WithTmpDir(tmp),
		batonsync.WithStorageEngine(c1zstore.EngineSQLite),
	)
	if err != nil {
		return fmt.Errorf("new syncer: %w", err)
	}
	if err := syncer.Sync(ctx); err != nil {
		_ = syncer.Close(ctx)
		return fmt.Errorf("sync: %w", err)
	}
	return syncer.Close(ctx)
}
