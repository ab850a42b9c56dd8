// Command decrypt opens credentials the connector returned encrypted (baton's EncryptedData), the
// way a platform on baton-sdk does: baton/jwk/v1 through baton-sdk's own JWK provider (Ed25519 and
// RSA keys: age files to the key's SSH form; EC keys: a JWE), baton/age/v1 with filippo.io/age (the
// library baton-sdk's age provider encrypts with). It also recomputes each key id baton-sdk's way.
//
// Input (stdin): a JSON array of {provider, privateKey, encryptedBytes (base64), keyIds}, privateKey
// being a private JWK (JSON) or an AGE-SECRET-KEY-1… identity. Output (stdout): a JSON array of
// {plaintext, keyId}, in the same order. Any failure exits 1 with the reason on stderr.
package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"filippo.io/age"
	jose "github.com/go-jose/go-jose/v4"

	v2 "github.com/conductorone/baton-sdk/pb/c1/connector/v2"
	"github.com/conductorone/baton-sdk/pkg/crypto/providers/jwk"
)

type sealed struct {
	Provider       string   `json:"provider"`
	PrivateKey     string   `json:"privateKey"`
	EncryptedBytes []byte   `json:"encryptedBytes"`
	KeyIDs         []string `json:"keyIds"`
}

type opened struct {
	Plaintext string `json:"plaintext"`
	KeyID     string `json:"keyId"`
}

func main() {
	var input []sealed
	if err := json.NewDecoder(os.Stdin).Decode(&input); err != nil {
		fail(fmt.Errorf("read input: %w", err))
	}
	output := make([]opened, 0, len(input))
	for i, item := range input {
		result, err := open(item)
		if err != nil {
			fail(fmt.Errorf("item %d (%s): %w", i, item.Provider, err))
		}
		output = append(output, result)
	}
	if err := json.NewEncoder(os.Stdout).Encode(output); err != nil {
		fail(err)
	}
}

func open(item sealed) (opened, error) {
	switch item.Provider {
	case jwk.EncryptionProviderJwk:
		var key jose.JSONWebKey
		if err := key.UnmarshalJSON([]byte(item.PrivateKey)); err != nil {
			return opened{}, fmt.Errorf("private JWK: %w", err)
		}
		data := v2.EncryptedData_builder{Provider: item.Provider, EncryptedBytes: item.EncryptedBytes, KeyIds: item.KeyIDs}.Build()
		plain, err := (&jwk.JWKEncryptionProvider{}).Decrypt(context.Background(), data, &key)
		if err != nil {
			return opened{}, err
		}
		public := key.Public()
		keyID, err := jwk.Thumbprint(&public)
		if err != nil {
			return opened{}, err
		}
		return opened{Plaintext: string(plain.GetBytes()), KeyID: keyID}, nil
	case "baton/age/v1":
		identity, err := age.ParseX25519Identity(item.PrivateKey)
		if err != nil {
			return opened{}, fmt.Errorf("age identity: %w", err)
		}
		reader, err := age.Decrypt(bytes.NewReader(item.EncryptedBytes), identity)
		if err != nil {
			return opened{}, err
		}
		plain, err := io.ReadAll(reader)
		if err != nil {
			return opened{}, err
		}
		// baton-sdk's age provider: the key id is the SHA-256 of the recipient text, hex.
		sum := sha256.Sum256([]byte(identity.Recipient().String()))
		return opened{Plaintext: string(plain), KeyID: hex.EncodeToString(sum[:])}, nil
	default:
		return opened{}, fmt.Errorf("unknown provider")
	}
}

func fail(err error) {
	fmt.Fprintf(os.Stderr, "decrypt: %v\n", err)
	os.Exit(1)
}
