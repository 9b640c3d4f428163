package sasl_test

import (
	"context"
	"fmt"

	"github.com/mailkit-go/mailkit/sasl"
)

// A protocol server offers mechanisms per channel and drives an exchange.
func ExampleRegistry() {
	reg := &sasl.Registry{
		Credentials: sasl.CredentialsFunc(func(_ context.Context, user string) (*sasl.Secret, error) {
			if user != "alice" {
				return nil, sasl.ErrUnknownUser
			}
			return &sasl.Secret{Password: []byte("secret")}, nil
		}),
	}
	fmt.Println("plaintext:", reg.Mechanisms(sasl.Channel{}))
	fmt.Println("tls:      ", reg.Mechanisms(sasl.Channel{Secure: true}))

	client := sasl.NewPlainClient("", "alice", "secret")
	mech, ir, _ := client.Start()
	srv, err := reg.NewServer(context.Background(), mech, sasl.Channel{Secure: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	_, done, err := srv.Next(ir)
	id, _ := srv.Identity()
	fmt.Println(done, err, id.Username)
	// Output:
	// plaintext: [SCRAM-SHA-256 SCRAM-SHA-1]
	// tls:       [SCRAM-SHA-256 SCRAM-SHA-1 PLAIN LOGIN]
	// true <nil> alice
}

func ExampleNewCRAMMD5Client() {
	// RFC 2195 section 2.
	c := sasl.NewCRAMMD5Client("tim", "tanstaaftanstaaf")
	resp, _ := c.Next([]byte("<1896.697170952@postoffice.reston.mci.net>"))
	fmt.Println(string(resp))
	// Output: tim b913a602c7eda7a495b4e6e7334d3890
}
