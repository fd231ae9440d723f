package archive_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"

	"github.com/gettykit/getty"
	"github.com/gettykit/getty/archive"
	"github.com/gettykit/getty/gettytest"
)

func ExampleSync() {
	// A fake Getty server with 12 downloads in the history, of which the
	// account's premiumaccess product may download 5 more this period.
	srv := gettytest.NewServer(gettytest.WithDownloads(12), gettytest.WithQuota(getty.ProductPremiumAccess, 5))
	defer srv.Close()
	c, err := getty.New(srv.ClientOptions()...)
	if err != nil {
		log.Fatal(err)
	}
	dir, err := os.MkdirTemp("", "getty-archive")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	ctx := context.Background()
	opts := &archive.Options{Company: true, Parallel: 1}
	res, err := archive.Sync(ctx, c, dir, opts)
	var quota *archive.QuotaError
	if errors.As(err, &quota) {
		fmt.Printf("quota: %d saved, %d remain\n", quota.Saved, quota.Remaining)
	}

	// Next period: the sync continues where it stopped.
	srv.SetQuota(getty.ProductPremiumAccess, 100)
	res, err = archive.Sync(ctx, c, dir, opts)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("saved %d, skipped %d, %d download requests\n", res.Saved, res.Skipped, res.DownloadRequests)

	// Everything is archived: a sync only lists.
	res, err = archive.Sync(ctx, c, dir, opts)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("saved %d, skipped %d, %d download requests\n", res.Saved, res.Skipped, res.DownloadRequests)

	entries, _ := archive.ReadManifest(dir)
	fmt.Println(len(entries), "images in the manifest; the first:", entries[0].File, entries[0].ProductType)
	// Output:
	// quota: 5 saved, 7 remain
	// saved 7, skipped 5, 7 download requests
	// saved 0, skipped 12, 0 download requests
	// 12 images in the manifest; the first: GettyImages-1000000000.jpg premiumaccess
}
