//! Entry points shared by the fuzz target (`fuzz/fuzz_targets/modbus_frame.rs`) and the
//! property test that runs the same checks in CI.

use bytes::BytesMut;

use crate::frame::{Request, Response, decode_tcp_frame};

/// Feeds arbitrary bytes to every decoder: the MBAP frame decoder (repeatedly, as a stream), the
/// request decoder and the response decoder for `request`. Panics only if an invariant breaks.
pub fn decode_everything(bytes: &[u8], request: &Request) {
    let mut buf = BytesMut::from(bytes);
    loop {
        let before = buf.len();
        match decode_tcp_frame(&mut buf) {
            Ok(Some(frame)) => {
                assert!(
                    !frame.pdu.is_empty(),
                    "a frame always carries a function code"
                );
                assert!(buf.len() < before, "a decoded frame consumes bytes");
                let _ = Request::decode(&frame.pdu);
                let _ = Response::decode(request, &frame.pdu);
            }
            Ok(None) => break,
            Err(_) => break,
        }
    }
    if let Ok(decoded) = Request::decode(bytes) {
        let mut again = BytesMut::new();
        decoded.encode(&mut again);
        assert_eq!(
            Request::decode(&again).as_ref(),
            Ok(&decoded),
            "a decoded request survives re-encoding"
        );
    }
    if let Ok(Response::Registers(values)) = Response::decode(request, bytes) {
        assert_eq!(values.len() * 2 + 2, bytes.len());
    }
}

/// The fuzz target's whole body: the first bytes choose a request to match responses against.
pub fn fuzz_one(data: &[u8]) {
    let pick = data.first().copied().unwrap_or(0);
    let count = data.get(1).copied().unwrap_or(1).max(1) as u16;
    let request = match pick % 5 {
        0 => Request::ReadCoils { address: 0, count },
        1 => Request::ReadHoldingRegisters {
            address: 0,
            count: count.min(125),
        },
        2 => Request::WriteSingleCoil {
            address: count,
            value: pick & 0x80 != 0,
        },
        3 => Request::WriteMultipleRegisters {
            address: 1,
            values: vec![0; count.min(123) as usize],
        },
        _ => Request::ReadWriteMultipleRegisters {
            read_address: 0,
            read_count: count.min(125),
            write_address: 0,
            values: vec![1],
        },
    };
    decode_everything(data.get(2..).unwrap_or(&[]), &request);
}
