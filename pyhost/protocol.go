package pyhost

/*
#include "bridge.h"
*/
import "C"

import "djangobolt/protocol"

// The C bridge's tuple layout must be the protocol's: a pair of lines fails to compile
// (one array length is negative) when a value in bridge.h differs from protocol.go.
var (
	_ [C.BOLT_REQUEST_ITEM_LEN - protocol.RequestItemLen]struct{}
	_ [protocol.RequestItemLen - C.BOLT_REQUEST_ITEM_LEN]struct{}
	_ [C.BOLT_CONTROL_ITEM_LEN - protocol.ControlItemLen]struct{}
	_ [protocol.ControlItemLen - C.BOLT_CONTROL_ITEM_LEN]struct{}
	_ [C.BOLT_RESULT_LEN - protocol.ResultLen]struct{}
	_ [protocol.ResultLen - C.BOLT_RESULT_LEN]struct{}
	_ [C.BOLT_SENDFILE_LEN - protocol.SendFileLen]struct{}
	_ [protocol.SendFileLen - C.BOLT_SENDFILE_LEN]struct{}
)
