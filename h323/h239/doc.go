// Package h239 builds and parses the H.245 signalling of ITU-T H.239
// (09/2005) "Role management and additional media channels": the
// capabilities that announce a content (presentation) channel and the
// generic messages of the presentation token and flow control release
// (H.239 §7 and §8, Tables 9 to 14).
//
// Capabilities:
//   - ControlCapability: genericControlCapability 0.0.8.239.1.1 in the
//     terminal capability set;
//   - ExtendedVideo: extendedVideoCapability whose videoCapabilityExtension
//     is h239ExtendedVideoCapability 0.0.8.239.1.2 with the role label
//     (parameter 1, booleanArray; RolePresentation or RoleLive).
//
// Messages are H.245 GenericMessage values with messageIdentifier
// 0.0.8.239.2 and a subMessageIdentifier (Message.Kind); their parameters
// are written in the order the H.239 tables list them and read in any
// order. Requests go in genericRequest, responses in genericResponse,
// presentationTokenRelease in genericCommand and
// presentationTokenIndicateOwner in genericIndication (H.239 §8.3).
package h239
