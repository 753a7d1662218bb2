package postgis

import "context"

// AddCurrentReplica gives s a standby at url that reads take for current
// (up, replayed past any position), as if the checks had found it well:
// the fallback test points it at an address where nothing answers.
func AddCurrentReplica(s *Store, url string) error {
	rs, err := openReplicas(context.Background(), []string{url})
	if err != nil {
		return err
	}
	rs[0].up.Store(true)
	rs[0].problem.Store(nil)
	rs[0].replayed.Store(^uint64(0))
	s.replicas = append(s.replicas, rs...)
	return nil
}
