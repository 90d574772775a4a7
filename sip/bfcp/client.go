package bfcp

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"
)

// ClientConfig configures a Client. Zero fields take the defaults named.
type ClientConfig struct {
	ConferenceID uint32 // a=confid of the server's SDP
	UserID       uint16 // a=userid of the server's SDP
	// Version of the messages sent: 1 over TCP, 2 over UDP.
	Version        uint8
	T1             time.Duration // UDP retransmission timer, doubling: 500 ms
	MaxRetransmits int           // UDP retransmissions of a request: 4
	Logger         *slog.Logger
}

// Client is a BFCP floor participant (RFC 8855 §4) for the room-system
// simulator and tests: transactions over TCP or UDP (with RFC 8855 §6.2
// retransmissions and Acks), and the server's notifications on a channel.
type Client struct {
	cfg   ClientConfig
	conn  net.Conn
	dgram bool

	mu      sync.Mutex
	nextTID uint16
	pending map[uint16]chan *Message
	seen    map[uint16]bool // notification transaction IDs already delivered (UDP)
	closed  bool

	notes chan *Message
	ended chan struct{} // closed when the reader stops: transactions fail
	wg    sync.WaitGroup
}

// ServerError is an Error message the server answered with.
type ServerError struct {
	Code ErrorCode
	Info string
}

func (e *ServerError) Error() string {
	return fmt.Sprintf("bfcp: server error %d: %s", e.Code, e.Info)
}

// NewClient runs a Client on c: a TCP connection, or a connected UDP socket
// (any net.Conn that is also a net.PacketConn is taken as datagrams).
func NewClient(c net.Conn, cfg ClientConfig) *Client {
	_, dgram := c.(net.PacketConn)
	if cfg.Version == 0 {
		cfg.Version = Version1
		if dgram {
			cfg.Version = Version2
		}
	}
	if cfg.T1 <= 0 {
		cfg.T1 = 500 * time.Millisecond
	}
	if cfg.MaxRetransmits <= 0 {
		cfg.MaxRetransmits = 4
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cl := &Client{cfg: cfg, conn: c, dgram: dgram, pending: map[uint16]chan *Message{},
		seen: map[uint16]bool{}, notes: make(chan *Message, 64), ended: make(chan struct{})}
	cl.wg.Go(cl.read)
	return cl
}

// Notifications delivers the FloorRequestStatus and FloorStatus messages
// the server sends outside a transaction. It is closed when the client's
// connection ends. Messages that find it full are dropped.
func (c *Client) Notifications() <-chan *Message { return c.notes }

// Close closes the connection and waits for the reader.
func (c *Client) Close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	err := c.conn.Close()
	c.wg.Wait()
	return err
}

func (c *Client) read() {
	defer close(c.ended)
	defer close(c.notes)
	if c.dgram {
		buf := make([]byte, 65536)
		for {
			n, err := c.conn.Read(buf)
			if err != nil {
				// ICMP port unreachable surfaces here as ECONNREFUSED on a
				// connected socket: the server may not be up yet.
				if c.isClosed() || errors.Is(err, net.ErrClosed) {
					return
				}
				continue
			}
			var m Message
			if k, err := m.Unmarshal(buf[:n]); err != nil || k != n || m.Fragment {
				continue
			}
			c.deliver(&m)
		}
	}
	r := bufio.NewReader(c.conn)
	hdr := make([]byte, HeaderSize)
	for {
		if _, err := io.ReadFull(r, hdr); err != nil {
			return
		}
		var h Header
		if _, err := h.Unmarshal(hdr); err != nil || h.Fragment {
			return
		}
		buf := make([]byte, h.MessageSize())
		copy(buf, hdr)
		if _, err := io.ReadFull(r, buf[HeaderSize:]); err != nil {
			return
		}
		var m Message
		if _, err := m.Unmarshal(buf); err != nil {
			continue
		}
		c.deliver(&m)
	}
}

func (c *Client) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// deliver routes m to the transaction waiting for it or, for a
// notification, acknowledges it (UDP) and queues it.
func (c *Client) deliver(m *Message) {
	// A notification is a request from the server: R clear in version 2,
	// Transaction ID 0 in version 1 (RFC 8855 §8).
	notification := (m.Primitive == FloorRequestStatus || m.Primitive == FloorStatus) &&
		((m.Version == Version2 && !m.Responder) || (m.Version == Version1 && m.TransactionID == 0))
	if m.ConferenceID != c.cfg.ConferenceID || m.UserID != c.cfg.UserID {
		return // not for us: RFC 8855 §8 matches on conference, user and transaction
	}
	c.mu.Lock()
	if !notification {
		ch, waiting := c.pending[m.TransactionID]
		if waiting {
			delete(c.pending, m.TransactionID)
		}
		c.mu.Unlock()
		if waiting {
			ch <- m
		}
		return // else a late duplicate response
	}
	dup := false
	if c.dgram && m.TransactionID != 0 {
		dup = c.seen[m.TransactionID]
		c.seen[m.TransactionID] = true
	}
	c.mu.Unlock()
	if c.dgram && m.Version == Version2 {
		ack := FloorRequestStatusAck
		if m.Primitive == FloorStatus {
			ack = FloorStatusAck
		}
		a := Message{Header: Header{Version: Version2, Responder: true, Primitive: ack,
			ConferenceID: m.ConferenceID, TransactionID: m.TransactionID, UserID: m.UserID}}
		if b, err := a.Marshal(); err == nil {
			_, _ = c.conn.Write(b)
		}
	}
	if dup {
		return
	}
	select {
	case c.notes <- m:
	default:
		c.cfg.Logger.Warn("bfcp client: notification dropped", "primitive", m.Primitive)
	}
}

// Do runs one transaction: it sends m with a fresh Transaction ID (and the
// configured version, conference and user) and returns the response. Over
// UDP the request is retransmitted with T1 doubling (RFC 8855 §6.2). An
// Error response is returned as *ServerError.
func (c *Client) Do(ctx context.Context, prim Primitive, attrs ...Attribute) (*Message, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, errClosed
	}
	c.nextTID++
	if c.nextTID == 0 {
		c.nextTID = 1
	}
	tid := c.nextTID
	ch := make(chan *Message, 1)
	c.pending[tid] = ch
	c.mu.Unlock()
	defer func() {
		c.mu.Lock()
		delete(c.pending, tid)
		c.mu.Unlock()
	}()
	m := Message{Header: Header{Version: c.cfg.Version, Primitive: prim, ConferenceID: c.cfg.ConferenceID,
		TransactionID: tid, UserID: c.cfg.UserID}, Attributes: attrs}
	b, err := m.Marshal()
	if err != nil {
		return nil, err
	}
	wait := c.cfg.T1
	for tries := 0; ; tries++ {
		if _, err := c.conn.Write(b); err != nil {
			return nil, err
		}
		var timeout <-chan time.Time
		var t *time.Timer
		if c.dgram {
			t = time.NewTimer(wait)
			timeout = t.C
		}
		var resp *Message
		select {
		case resp = <-ch:
		case <-ctx.Done():
			stop(t)
			return nil, ctx.Err()
		case <-c.ended:
			select { // the response may have come just before the end
			case resp = <-ch:
			default:
				stop(t)
				return nil, errClosed
			}
		case <-timeout:
			if tries >= c.cfg.MaxRetransmits {
				return nil, errTimeout
			}
			wait *= 2
			continue
		}
		stop(t)
		return c.result(resp)
	}
}

// result turns an Error response into a *ServerError.
func (c *Client) result(resp *Message) (*Message, error) {
	if resp.Primitive != Error {
		return resp, nil
	}
	se := &ServerError{}
	if a, ok := resp.Find(ErrorCodeAttr); ok {
		se.Code, _, _ = a.ErrorCode()
	}
	if a, ok := resp.Find(ErrorInfo); ok {
		se.Info = string(a.Value)
	}
	return resp, se
}

func stop(t *time.Timer) {
	if t != nil {
		t.Stop()
	}
}

// Hello sends Hello and returns the primitives and attributes the server
// supports (HelloAck, RFC 8855 §5.3.12).
func (c *Client) Hello(ctx context.Context) ([]Primitive, []AttrType, error) {
	r, err := c.Do(ctx, Hello)
	if err != nil {
		return nil, nil, err
	}
	var ps []Primitive
	var ts []AttrType
	if a, ok := r.Find(SupportedPrimitives); ok {
		ps = a.Primitives()
	}
	if a, ok := r.Find(SupportedAttributes); ok {
		ts = a.AttrTypes()
	}
	return ps, ts, nil
}

// RequestFloor asks for floors and returns the request as the server's
// FloorRequestStatus describes it.
func (c *Client) RequestFloor(ctx context.Context, floors ...uint16) (Request, error) {
	attrs := make([]Attribute, len(floors))
	for i, f := range floors {
		attrs[i] = NewUint16(FloorID, f)
	}
	return c.requestStatus(c.Do(ctx, FloorRequest, attrs...))
}

// Release releases (or cancels) floor request id.
func (c *Client) Release(ctx context.Context, id uint16) (Request, error) {
	return c.requestStatus(c.Do(ctx, FloorRelease, NewUint16(FloorRequestID, id)))
}

// QueryRequest asks for the state of floor request id.
func (c *Client) QueryRequest(ctx context.Context, id uint16) (Request, error) {
	return c.requestStatus(c.Do(ctx, FloorRequestQuery, NewUint16(FloorRequestID, id)))
}

// QueryFloors subscribes to the floors' status (FloorQuery) and returns the
// first floor's FloorStatus; later changes arrive on Notifications.
func (c *Client) QueryFloors(ctx context.Context, floors ...uint16) (*Message, error) {
	attrs := make([]Attribute, len(floors))
	for i, f := range floors {
		attrs[i] = NewUint16(FloorID, f)
	}
	return c.Do(ctx, FloorQuery, attrs...)
}

// Goodbye ends the association (GoodbyeAck expected).
func (c *Client) Goodbye(ctx context.Context) error {
	_, err := c.Do(ctx, Goodbye)
	return err
}

func (c *Client) requestStatus(m *Message, err error) (Request, error) {
	if err != nil {
		return Request{}, err
	}
	a, ok := m.Find(FloorRequestInformation)
	if !ok || m.Primitive != FloorRequestStatus {
		return Request{}, fmt.Errorf("bfcp: unexpected %s", m.Primitive)
	}
	return ParseRequestInfo(a), nil
}
