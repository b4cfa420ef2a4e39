package domain

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"hash"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// Stormpath2Hash makes a $stormpath2$ hash as Stormpath (Shiro) did: the
// digest of salt ‖ password, re-digested iterations−1 times. Exported to
// the package's external tests (mcf_test.go) only: it is a test file.
func Stormpath2Hash(alg string, newHash func() hash.Hash, iterations int, salt []byte, password string) string {
	d := newHash()
	d.Write(salt)
	d.Write([]byte(password))
	sum := d.Sum(nil)
	for i := 1; i < iterations; i++ {
		d.Reset()
		d.Write(sum)
		sum = d.Sum(nil)
	}
	enc := base64.StdEncoding
	return fmt.Sprintf("$stormpath2$%s$%d$%s$%s", alg, iterations, enc.EncodeToString(salt), enc.EncodeToString(sum))
}

// TestStormpath2Vector: Stormpath's published vectors, which hold with
// the base64-decoded salt (and an empty one), not its base64 text.
func TestStormpath2Vector(t *testing.T) {
	for pw, mcf := range map[string]string{
		"123456":   "$stormpath2$MD5$1$OWI3OTQwYjEwODEwOTdkNTcwZDY5NjQ2ZDNlNmZjNzM=$ULWTW74NXPyLYj3VfYHWrg==",
		"password": "$stormpath2$MD5$1$NzEyN2ZhYzdkZTAyMjJlMGQyMWYxMWRmZmY2YjA1MWI=$K18Ak0YikAFrqgglhIaY5g==",
		"monkey":   "$stormpath2$MD5$1$$0HY+2qnZvSqVFigOkETYhQ==",
	} {
		h, err := parseImportedHash(mcf)
		if err != nil {
			t.Fatalf("%s: %v", mcf, err)
		}
		if !h.verify(pw) || h.verify(pw+"7") || h.verify("") {
			t.Errorf("%s does not verify exactly %q", mcf, pw)
		}
		if !isImportedHash(mcf) {
			t.Errorf("%s is not seen as imported", mcf)
		}
	}
}

func TestStormpath2Generated(t *testing.T) {
	algs := map[string]func() hash.Hash{"MD5": md5.New, "SHA-1": sha1.New, "SHA-256": sha256.New, "SHA-384": sha512.New384, "SHA-512": sha512.New}
	for alg, newHash := range algs {
		for _, n := range []int{1, 2, 7, 1024} {
			mcf := Stormpath2Hash(alg, newHash, n, []byte("salt of "+alg), "Tr0ub4dor&3")
			h, err := parseImportedHash(mcf)
			if err != nil {
				t.Fatalf("%s: %v", mcf, err)
			}
			if !h.verify("Tr0ub4dor&3") || h.verify("Tr0ub4dor&4") {
				t.Errorf("%s, %d iterations: wrong verdicts", alg, n)
			}
		}
	}
	// At the bound, and the unpadded base64 some exporters write.
	max := Stormpath2Hash("SHA-256", sha256.New, MaxStormpath2Iterations, []byte{1, 2, 3}, "pw")
	if h, err := parseImportedHash(max); err != nil || !h.verify("pw") {
		t.Fatalf("%d iterations: %v", MaxStormpath2Iterations, err)
	}
	raw := strings.ReplaceAll(Stormpath2Hash("SHA-1", sha1.New, 3, []byte{1, 2, 3, 4}, "pw"), "=", "")
	if h, err := parseImportedHash(raw); err != nil || !h.verify("pw") {
		t.Fatalf("unpadded %s: %v", raw, err)
	}
}

func TestBcryptImported(t *testing.T) {
	made, err := bcrypt.GenerateFromPassword([]byte("Correct horse 1"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	for _, prefix := range []string{"$2a$", "$2b$", "$2y$"} {
		mcf := prefix + string(made[4:])
		h, err := parseImportedHash(mcf)
		if err != nil {
			t.Fatalf("%s: %v", mcf, err)
		}
		if !h.verify("Correct horse 1") || h.verify("Correct horse 2") {
			t.Errorf("%s: wrong verdicts", prefix)
		}
	}
}

func TestImportedHashRefusals(t *testing.T) {
	made, _ := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	good := string(made)
	sha := Stormpath2Hash("SHA-256", sha256.New, 2, []byte("salt"), "pw")
	md5Sum := base64.StdEncoding.EncodeToString(make([]byte, 16))
	for name, s := range map[string]string{
		"empty":               "",
		"plaintext":           "Changeme1",
		"stormpath1":          "$stormpath1$c2FsdA==$aGFzaA==",
		"argon2id":            "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$aGFzaA",
		"2x":                  "$2x$" + good[4:],
		"2c":                  "$2c$" + good[4:],
		"bcrypt cost 3":       good[:4] + "03" + good[6:],
		"bcrypt cost 15":      good[:4] + "15" + good[6:],
		"bcrypt cost 31":      good[:4] + "31" + good[6:],
		"bcrypt short":        good[:59],
		"bcrypt long":         good + "x",
		"bcrypt alphabet":     good[:20] + "!" + good[21:],
		"bcrypt cost letters": good[:4] + "1a" + good[6:],
		"no iterations":       strings.Replace(sha, "$2$", "$$", 1),
		"0 iterations":        strings.Replace(sha, "$2$", "$0$", 1),
		"-1 iterations":       strings.Replace(sha, "$2$", "$-1$", 1),
		"too many iterations": strings.Replace(sha, "$2$", fmt.Sprintf("$%d$", MaxStormpath2Iterations+1), 1),
		"+2 iterations":       strings.Replace(sha, "$2$", "$+2$", 1),
		"02 iterations":       strings.Replace(sha, "$2$", "$02$", 1),
		"huge iterations":     strings.Replace(sha, "$2$", "$99999999999999999999999$", 1),
		"alg spelling":        strings.Replace(sha, "SHA-256", "SHA256", 1),
		"alg case":            strings.Replace(sha, "SHA-256", "sha-256", 1),
		"unknown alg":         strings.Replace(sha, "SHA-256", "SHA3-256", 1),
		"digest size":         "$stormpath2$SHA-256$1$c2FsdA==$" + md5Sum,
		"not base64 salt":     "$stormpath2$MD5$1$c2Fsd*==$" + md5Sum,
		"not base64 hash":     "$stormpath2$MD5$1$c2FsdA==$" + md5Sum[:10] + "*" + md5Sum[11:],
		"url-safe base64":     "$stormpath2$MD5$1$c2F-_A==$" + md5Sum,
		"extra field":         sha + "$x",
		"missing field":       "$stormpath2$MD5$1$" + md5Sum,
		"too long":            "$stormpath2$MD5$1$" + strings.Repeat("A", MaxImportedHash) + "$" + md5Sum,
	} {
		_, err := parseImportedHash(s)
		var de *Error
		if err == nil {
			t.Errorf("%s: %q accepted", name, s)
		} else if !asError(err, &de) || de.Code != CodeBadPasswordHash || de.Field != "password" || len(s) > 12 && strings.Contains(de.Message, s) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func asError(err error, de **Error) bool {
	e, ok := err.(*Error)
	*de = e
	return ok
}

// FuzzImportedHash: the parser never panics, what it accepts is what the
// service dispatches to it (never an argon2id hash), within the bounds,
// and verifying it with any password returns.
func FuzzImportedHash(f *testing.F) {
	made, _ := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	for _, s := range []string{
		"$stormpath2$MD5$1$OWI3OTQwYjEwODEwOTdkNTcwZDY5NjQ2ZDNlNmZjNzM=$ULWTW74NXPyLYj3VfYHWrg==",
		"$stormpath2$MD5$1$$0HY+2qnZvSqVFigOkETYhQ==",
		Stormpath2Hash("SHA-512", sha512.New, 3, []byte("s"), "pw"),
		string(made), "$2y$" + string(made[4:]), "$stormpath1$a$b", "$2x$", "$", "",
	} {
		f.Add(s, "pw")
	}
	f.Fuzz(func(t *testing.T, s, pw string) {
		h, err := parseImportedHash(s)
		if err != nil {
			var de *Error
			if !asError(err, &de) || de.Code != CodeBadPasswordHash || de.Field != "password" {
				t.Fatalf("%q: refused with %v", s, err)
			}
			return
		}
		if !isImportedHash(s) || len(s) > MaxImportedHash || strings.HasPrefix(s, "$argon2") {
			t.Fatalf("accepted %q, which the service would not verify as imported", s)
		}
		if h.bcrypt == nil && (h.iterations < 1 || h.iterations > MaxStormpath2Iterations || len(h.sum) != h.newHash().Size()) {
			t.Fatalf("accepted %q out of bounds: %+v", s, h)
		}
		if h.bcrypt == nil && h.iterations > 1000 || h.bcrypt != nil && string(h.bcrypt[4:6]) > "06" {
			return // verifying is slow, and proves nothing more
		}
		h.verify(pw)
	})
}

// FuzzStormpath2RoundTrip: any salt, password, algorithm and iteration
// count made into a $stormpath2$ hash parses and verifies that password
// and no other.
func FuzzStormpath2RoundTrip(f *testing.F) {
	f.Add(uint8(0), uint8(1), []byte("salt"), "123456")
	f.Add(uint8(4), uint8(9), []byte{}, "")
	names := []string{"MD5", "SHA-1", "SHA-256", "SHA-384", "SHA-512"}
	f.Fuzz(func(t *testing.T, alg, n uint8, salt []byte, pw string) {
		name := names[int(alg)%len(names)]
		iterations := int(n)%50 + 1
		if len(salt) > 64 {
			salt = salt[:64]
		}
		s := Stormpath2Hash(name, stormpath2Algs[name], iterations, salt, pw)
		h, err := parseImportedHash(s)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if !h.verify(pw) || h.verify(pw+"x") {
			t.Fatalf("%q: wrong verdicts for %q", s, pw)
		}
	})
}
