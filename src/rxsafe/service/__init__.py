"""The edge: the gRPC servicer and server, protobuf conversion, and the status-code mapping."""
