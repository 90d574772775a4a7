package control

import (
	"errors"
	"fmt"
	"time"

	"github.com/roomgate/roomgate/h323/h239"
	"github.com/roomgate/roomgate/h323/h245"
	"github.com/roomgate/roomgate/transcode/media"
)

// The H.239 presentation token (H.239 §7.4, messages §8.3) of one link:
// who may send on a content channel. The token, not an open channel,
// means presenting: a remote that opens its content channel and never
// asks for the token does not present.
//
//	idle       -RequestToken->       opening    (our content OLC)
//	opening    -OLCAck->             requesting (presentationTokenRequest)
//	requesting -response ack->       ours       (TokenResponse granted, indicateOwner)
//	requesting -response reject->    idle       (TokenResponse denied, CLC)
//	idle|ours  -remote request->     asked      (TokenRequested)
//	asked      -GrantToken->         remote     (response ack, TokenOwner)
//	asked      -GrantToken->         granting   (its content OLC awaits the call)
//	granting   -AcceptChannel->      remote     (OLC Ack, then response ack)
//	asked      -DenyToken->          idle|ours  (response reject)
//	remote     -release->            idle       (TokenReleased)
//	remote     -RevokeToken->        revoking   (presentationTokenRequest)
//	revoking   -response ack->       idle       (release, TokenReleased)
//	ours       -ReleaseToken->       idle       (presentationTokenRelease, CLC)
//
// Simultaneous requests (ours opening or requesting, the remote's
// arriving) are settled by symmetryBreaking: the higher value wins, the
// master on a tie; the loser's request is given up.

type tokState uint8

const (
	tokIdle       tokState = iota // nobody presents on this link
	tokOpening                    // we want to present: our content channel opens
	tokRequesting                 // our presentationTokenRequest awaits its answer
	tokOurs                       // we present toward the remote
	tokAsked                      // the remote asked; the call decides
	tokGranting                   // granted; its content OLC's Ack goes first
	tokRemote                     // the remote presents
	tokRevoking                   // we asked the remote to give the token back
)

func (t tokState) String() string {
	return [...]string{"idle", "opening", "requesting", "ours", "asked", "granting", "remote", "revoking"}[t]
}

// TokenHolder is who holds the presentation token on a link.
type TokenHolder uint8

// Token holders.
const (
	TokenNone   TokenHolder = iota
	TokenLocal              // the gateway presents toward the remote
	TokenRemote             // the remote presents
)

type token struct {
	state tokState
	back  tokState // where a denied or lost request returns (idle, ours or remote)
	sym   int64    // our symmetryBreaking value (1..127)
	// channel is the remote's content channel its request named.
	channel  int64
	deadline time.Time // the answer to our request (T103)
	// early: OpenContentChannel asked for our content channel without the
	// token; it opens once capabilities and master/slave allow.
	early bool
}

var errTokenState = errors.New("control: not possible in this presentation token state")

// Token reports who holds the presentation token.
func (s *Session) Token() TokenHolder {
	st := s.tok.state
	if st == tokAsked {
		st = s.tok.back
	}
	switch st {
	case tokOurs:
		return TokenLocal
	case tokRemote, tokRevoking:
		return TokenRemote
	}
	return TokenNone
}

// RequestToken asks the remote for the presentation token so that the
// gateway presents toward it (someone else in the meeting presents): our
// content channel is opened first, then presentationTokenRequest is sent;
// TokenResponse tells the result. If the remote presents, the token is
// taken from it (TokenReleased comes first).
func (s *Session) RequestToken(now time.Time) error {
	switch s.tok.state {
	case tokOpening, tokRequesting, tokOurs:
		return nil
	case tokAsked, tokGranting, tokRevoking:
		return fmt.Errorf("%w: %s", errTokenState, s.tok.state)
	}
	if s.ended {
		return errors.New("control: session ended")
	}
	if s.choice != nil && s.choice.Content == nil {
		return errors.New("control: no content toward the remote: " + s.choice.ContentReason)
	}
	s.tok.back, s.tok.state, s.tok.sym = s.tok.state, tokOpening, int64(s.cfg.Rand.Uint32()%127)+1
	s.after(now)
	return nil
}

// ReleaseToken stops our presentation: presentationTokenRelease and our
// content channel closed. A request still under way is given up.
func (s *Session) ReleaseToken(now time.Time) error {
	switch s.tok.state {
	case tokOurs, tokRequesting:
		s.sendToken(h239.PresentationTokenRelease, s.outContent())
	case tokOpening:
	default:
		return fmt.Errorf("%w: %s", errTokenState, s.tok.state)
	}
	s.closeContent(now)
	s.tok.state, s.tok.deadline = tokIdle, time.Time{}
	if s.tok.back == tokRemote {
		s.tok.state = tokRemote
	}
	s.after(now)
	return nil
}

// RevokeToken takes the token back from a presenting remote (the meeting's
// host stopped its share): presentationTokenRequest to the owner (H.239
// §7.4). Its acknowledge ends the presentation (TokenReleased) and we
// release the token we got; a refusal makes us ask it to close its
// content channel instead.
func (s *Session) RevokeToken(now time.Time) error {
	if s.tok.state != tokRemote {
		return fmt.Errorf("%w: %s", errTokenState, s.tok.state)
	}
	s.tok.state, s.tok.sym = tokRevoking, int64(s.cfg.Rand.Uint32()%127)+1
	s.tok.deadline = now.Add(s.cfg.T103)
	s.sendToken(h239.PresentationTokenRequest, s.tok.channel)
	return nil
}

// GrantToken answers the remote's TokenRequested with acknowledge. If its
// content channel still awaits AcceptChannel, the answer follows that
// channel's Ack (Polycom answers nothing before its channel is
// acknowledged). If we presented, our content channel closes.
func (s *Session) GrantToken(now time.Time) error {
	if s.tok.state != tokAsked {
		return fmt.Errorf("%w: %s", errTokenState, s.tok.state)
	}
	if s.tok.back == tokOurs {
		s.closeContent(now)
	}
	if s.byRole(media.RoleContent, false, chAwaitingAccept) != nil {
		s.tok.state = tokGranting
		return nil
	}
	s.granted()
	s.after(now)
	return nil
}

// DenyToken answers the remote's TokenRequested with reject.
func (s *Session) DenyToken(now time.Time) error {
	if s.tok.state != tokAsked {
		return fmt.Errorf("%w: %s", errTokenState, s.tok.state)
	}
	s.respondToken(false)
	s.tok.state = s.tok.back
	return nil
}

func (s *Session) granted() {
	s.respondToken(true)
	s.tok.state = tokRemote
	s.out.event(TokenOwner{Channel: s.tok.channel})
}

func (s *Session) respondToken(ack bool) {
	s.send239(h239.Message{Kind: h239.PresentationTokenResponse, Acknowledge: ack, ChannelID: s.tok.channel})
}

func (s *Session) sendToken(k h239.Kind, channel int64) {
	m := h239.Message{Kind: k, ChannelID: channel}
	if k == h239.PresentationTokenRequest {
		m.SymmetryBreaking = s.tok.sym
	}
	s.send239(m)
}

func (s *Session) send239(m h239.Message) {
	msg, err := m.MultimediaSystemControlMessage()
	if err != nil { // only an unknown Kind fails: a bug here
		s.out.event(Failure{Reason: "H.239 " + m.Kind.String() + ": " + err.Error()})
		return
	}
	s.out.send(&msg)
}

// outContent is the number of our content channel (0: none).
func (s *Session) outContent() int64 {
	if c := s.byRole(media.RoleContent, true, chAwaitingAck, chEstablished); c != nil {
		return c.number
	}
	return 0
}

func (s *Session) closeContent(now time.Time) {
	if c := s.byRole(media.RoleContent, true, chAwaitingAck, chEstablished); c != nil {
		s.closeOut(now, c)
	}
}

// tokenAfter moves our request on once capabilities, master/slave and our
// content channel allow: open the channel, then ask for the token.
func (s *Session) tokenAfter(now time.Time) {
	if s.tok.state != tokOpening || s.choice == nil || !s.msd.done || s.held || s.ended {
		return
	}
	if s.choice.Content == nil {
		s.tokenLost("no content toward the remote: " + s.choice.ContentReason)
		return
	}
	if c := s.byRole(media.RoleContent, true, chEstablished); c != nil {
		s.tok.state, s.tok.deadline = tokRequesting, now.Add(s.cfg.T103)
		s.sendToken(h239.PresentationTokenRequest, c.number)
		return
	}
	if s.byRole(media.RoleContent, true, chAwaitingAck) == nil {
		s.openOut(now, media.RoleContent, s.choice.Content)
		if s.byRole(media.RoleContent, true, chAwaitingAck) == nil {
			s.tokenLost("content channel could not be opened")
		}
	}
}

// tokenLost ends our request or presentation: our content channel was
// refused or went away, or the request was refused.
func (s *Session) tokenLost(reason string) {
	switch s.tok.state {
	case tokOpening, tokRequesting, tokOurs:
		s.tok.state, s.tok.deadline = s.tok.back, time.Time{}
		if s.tok.state == tokOurs {
			s.tok.state = tokIdle
		}
		s.out.event(TokenResponse{Reason: reason})
	}
}

// remoteStopped ends the remote's presentation.
func (s *Session) remoteStopped(reason string) {
	switch s.tok.state {
	case tokRemote, tokRevoking:
		s.tok.state, s.tok.deadline = tokIdle, time.Time{}
		s.out.event(TokenReleased{Reason: reason})
	case tokGranting:
		s.respondToken(false)
		s.tok.state = tokIdle
	}
}

// onGeneric handles an H.245 generic message; false: not H.239.
func (s *Session) onGeneric(now time.Time, m *h245.MultimediaSystemControlMessage) bool {
	g, ok := h239.Find(m)
	if !ok {
		return false
	}
	msg, err := h239.Parse(g)
	if err != nil {
		if m.Request != nil {
			s.notUnderstood(&h245.FunctionNotUnderstood{Request: m.Request})
		}
		return true
	}
	switch msg.Kind {
	case h239.PresentationTokenRequest:
		s.onTokenRequest(now, msg)
	case h239.PresentationTokenResponse:
		s.onTokenResponse(now, msg)
	case h239.PresentationTokenRelease:
		s.onTokenRelease()
	case h239.FlowControlReleaseRequest:
		// We never limit a content channel below what was agreed: the
		// release is granted.
		s.send239(h239.Message{Kind: h239.FlowControlReleaseResponse, Acknowledge: true, ChannelID: msg.ChannelID})
	}
	// presentationTokenIndicateOwner informs only: a remote presents when
	// we granted it the token. flowControlReleaseResponse answers nothing
	// we ask.
	return true
}

func (s *Session) onTokenRequest(now time.Time, m h239.Message) {
	switch s.tok.state {
	case tokRemote:
		s.tok.channel = m.ChannelID
		s.respondToken(true) // asked again: still granted
		return
	case tokAsked, tokGranting:
		return // the call decides the first one
	case tokRevoking:
		s.tok.channel = m.ChannelID
		s.respondToken(false) // we are taking it back
		return
	case tokOpening, tokRequesting:
		// Both ask at once (H.239 §7.4): the higher symmetryBreaking wins,
		// the master on a tie.
		if s.tok.sym > m.SymmetryBreaking || s.tok.sym == m.SymmetryBreaking && s.isMaster() {
			s.send239(h239.Message{Kind: h239.PresentationTokenResponse, ChannelID: m.ChannelID})
			return
		}
		back := s.tok.back
		s.closeContent(now)
		s.tokenLost("the remote asked at the same time and won symmetryBreaking")
		s.tok.state = back
	}
	s.tok.back, s.tok.state, s.tok.channel = s.tok.state, tokAsked, m.ChannelID
	s.out.event(TokenRequested{Channel: m.ChannelID})
}

func (s *Session) onTokenResponse(now time.Time, m h239.Message) {
	switch s.tok.state {
	case tokRequesting:
		if !m.Acknowledge {
			s.closeContent(now)
			s.tokenLost("the remote rejected presentationTokenRequest")
			return
		}
		if s.tok.back == tokRemote {
			s.out.event(TokenReleased{Reason: "the token was taken for another presenter"})
		}
		s.tok.state, s.tok.back, s.tok.deadline = tokOurs, tokIdle, time.Time{}
		s.out.event(TokenResponse{Granted: true})
		s.sendToken(h239.PresentationTokenIndicateOwner, s.outContent())
	case tokRevoking:
		s.revoked(m.Acknowledge)
	}
}

// revoked ends a RevokeToken: acknowledged (the token is ours now; we
// release it at once, so that both sides see it free), or refused or
// unanswered (we then ask the remote to close its content channel).
func (s *Session) revoked(ack bool) {
	reason := "revoked"
	if ack {
		s.sendToken(h239.PresentationTokenRelease, s.tok.channel)
	} else {
		reason = "revoke refused: content channel close requested"
		_ = s.RequestChannelClose(media.RoleContent)
	}
	s.tok.state, s.tok.deadline = tokIdle, time.Time{}
	s.out.event(TokenReleased{Reason: reason})
	r := TokenResponse{Granted: ack, Revoke: true}
	if !ack {
		r.Reason = "refused or unanswered"
	}
	s.out.event(r)
}

func (s *Session) onTokenRelease() {
	switch s.tok.state {
	case tokAsked:
		s.tok.state = s.tok.back
		s.out.event(TokenReleased{Reason: "request withdrawn"})
	default:
		s.remoteStopped("released")
	}
}

// tokenChannel follows the content channels: our channel refused or gone
// ends our request; the remote's channel acknowledged completes a grant,
// refused or closed ends its presentation.
func (s *Session) tokenChannel(c *channel, accepted bool) {
	if c.role != media.RoleContent {
		return
	}
	switch {
	case c.out && !accepted:
		s.tokenLost("content channel refused or closed")
	case !c.out && accepted && s.tok.state == tokGranting:
		s.granted()
	case !c.out && !accepted && s.tok.state != tokRevoking:
		// While revoking, the answer settles it (the remote closes its
		// channel as it gives the token back).
		s.remoteStopped("content channel closed")
	}
}

func (s *Session) tickToken(now time.Time) {
	if s.tok.deadline.IsZero() || now.Before(s.tok.deadline) {
		return
	}
	switch s.tok.state {
	case tokRequesting:
		// A late acknowledge must not leave the remote thinking we
		// present: the release follows it.
		s.sendToken(h239.PresentationTokenRelease, s.outContent())
		s.closeContent(now)
		s.tokenLost(fmt.Sprintf("no presentationTokenResponse within T103 (%s)", s.cfg.T103))
	case tokRevoking:
		s.revoked(false)
	}
	s.tok.deadline = time.Time{}
}
