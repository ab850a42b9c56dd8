// Command harness syncs a baton connector served over plaintext gRPC (h2c) with baton-sdk's own
// syncer (pkg/sync) into a c1z v1 file written by baton-sdk's SQLite engine. The interop tests run
// it against `connector serve` to compare its file with the one `connector sync` writes.
//
// With -sync-resources TYPE:ID,… the syncer runs a targeted (partial) sync of those resources, as
// a host does after an event; with -events FEED it reads that event feed instead, as baton's local
// event-feed task does (ListEventFeeds, then ListEvents page by page), printing one JSON line per
// event and a last line {"feeds": […], "cursor": "…"}.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/types/known/timestamppb"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"

	"github.com/conductorone/baton-sdk/pkg/connectorclient"
	"github.com/conductorone/baton-sdk/pkg/dotc1z/c1zstore"
	batonsync "github.com/conductorone/baton-sdk/pkg/sync"
)

func main() {
	address := flag.String("address", "127.0.0.1:50051", "host:port of the connector (plaintext gRPC)")
	out := flag.String("out", "baton-sync.c1z", "c1z file to write")
	tmp := flag.String("tmp", os.TempDir(), "directory for the syncer's temporary files")
	timeout := flag.Duration("timeout", 10*time.Minute, "give up after this long")
	targets := flag.String("sync-resources", "", "comma-separated TYPE:ID: a targeted (partial) sync of these resources")
	events := flag.String("events", "", "read this event feed (JSON lines on stdout) instead of syncing")
	startAt := flag.String("start-at", "", "RFC 3339 time the event feed starts at (with -events)")
	flag.Parse()

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	var err error
	if *events != "" {
		err = readFeed(ctx, *address, *events, *startAt)
	} else {
		err = run(ctx, *address, *out, *tmp, *targets)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "harness: %v\n", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, address, out, tmp, targets string) error {
	conn, err := grpc.NewClient(address, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return fmt.Errorf("dial %s: %w", address, err)
	}
	defer conn.Close()

	client := connectorclient.NewConnectorClient(ctx, conn)
	opts := []batonsync.SyncOpt{
		batonsync.WithC1ZPath(out),
		batonsync.WithTmpDir(tmp),
		batonsync.WithStorageEngine(c1zstore.EngineSQLite),
	}
	if targets != "" {
		var resources []*v2.Resource
		for _, target := range strings.Split(targets, ",") {
			typ, id, ok := strings.Cut(target, ":")
			if !ok {
				return fmt.Errorf("-sync-resources: expected TYPE:ID, got %q", target)
			}
			resources = append(resources, v2.Resource_builder{Id: v2.ResourceId_builder{ResourceType: typ, Resource: id}.Build()}.Build())
		}
		opts = append(opts, batonsync.WithTargetedSyncResources(resources))
	}
	syncer, err := batonsync.NewSyncer(ctx, client, opts...)
	if err != nil {
		return fmt.Errorf("new syncer: %w", err)
	}
	if err := syncer.Sync(ctx); err != nil {
		_ = syncer.Close(ctx)
		return fmt.Errorf("sync: %w", err)
	}
	return syncer.Close(ctx)
}

func readFeed(ctx context.Context, address, feed, startAt string) error {
	conn, err := grpc.NewClient(address, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return fmt.Errorf("dial %s: %w", address, err)
	}
	defer conn.Close()
	client := connectorclient.NewConnectorClient(ctx, conn)

	listed, err := client.ListEventFeeds(ctx, v2.ListEventFeedsRequest_builder{}.Build())
	if err != nil {
		return fmt.Errorf("list event feeds: %w", err)
	}
	var feeds []string
	for _, f := range listed.GetList() {
		feeds = append(feeds, f.GetId())
	}
	request := v2.ListEventsRequest_builder{PageSize: 100, EventFeedId: feed}.Build()
	if startAt != "" {
		t, err := time.Parse(time.RFC3339, startAt)
		if err != nil {
			return fmt.Errorf("-start-at: %w", err)
		}
		request.SetStartAt(timestamppb.New(t))
	}
	for {
		resp, err := client.ListEvents(ctx, request)
		if err != nil {
			return fmt.Errorf("list events: %w", err)
		}
		for _, event := range resp.GetEvents() {
			line, err := protojson.Marshal(event)
			if err != nil {
				return err
			}
			fmt.Println(string(line))
		}
		request.SetCursor(resp.GetCursor())
		if !resp.GetHasMore() {
			break
		}
	}
	last, err := json.Marshal(map[string]any{"feeds": feeds, "cursor": request.GetCursor()})
	if err != nil {
		return err
	}
	fmt.Println(string(last))
	return nil
}
