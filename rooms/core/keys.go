package core

import (
	"fmt"
	"path/filepath"

	"gopkg.in/yaml.v3"

	"github.com/roomgate/roomgate/rooms/secretfile"
)

// keyPair is the API key and secret of the embedded node.
type keyPair struct {
	Key    string `yaml:"api_key"`
	Secret string `yaml:"api_secret"`
}

// loadOrCreateKeys reads data_dir/livekit_keys.yaml, creating it with fresh random
// credentials on first start, so that issued tokens stay valid across restarts.
func loadOrCreateKeys(dataDir string) (keyPair, bool, error) {
	path := filepath.Join(dataDir, "livekit_keys.yaml")
	b, created, err := secretfile.LoadOrCreate(path, func() ([]byte, error) {
		return yaml.Marshal(keyPair{Key: "RG" + secretfile.Random(9), Secret: secretfile.Random(36)})
	})
	if err != nil {
		return keyPair{}, false, err
	}
	var kp keyPair
	if err := yaml.Unmarshal(b, &kp); err != nil {
		return keyPair{}, false, fmt.Errorf("%s: %w", path, err)
	}
	if kp.Key == "" || len(kp.Secret) < 32 {
		return keyPair{}, false, fmt.Errorf("%s: api_key empty or api_secret shorter than 32 characters", path)
	}
	return kp, created, nil
}
