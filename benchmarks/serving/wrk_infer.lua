-- wrk script: POST /v2/models/<model>/infer with the binary tensor data extension, the same
-- request pl_serve_bench's REST mode sends (one FP32 input, binary outputs).
--   wrk -t2 -c16 -d10s -s wrk_infer.lua http://127.0.0.1:8000 -- MODEL INPUT_NAME 1,3,48,192
local model, input, shape_arg
function init(args)
  model = args[1] or "cls"
  input = args[2] or "x"
  shape_arg = args[3] or "1,3,48,192"
  local n = 1
  for d in string.gmatch(shape_arg, "%d+") do n = n * tonumber(d) end
  local header = string.format(
    '{"inputs":[{"name":"%s","datatype":"FP32","shape":[%s],"parameters":{"binary_data_size":%d}}],' ..
    '"parameters":{"binary_data_output":true}}', input, shape_arg, n * 4)
  -- 0.5f in little-endian float32 for every element.
  local body = header .. string.rep("\0\0\0\63", n)
  wrk.method = "POST"
  wrk.path = "/v2/models/" .. model .. "/infer"
  wrk.body = body
  wrk.headers["Content-Type"] = "application/octet-stream"
  wrk.headers["Inference-Header-Content-Length"] = tostring(#header)
end

local errors = 0
function response(status, headers, body)
  if status ~= 200 then
    errors = errors + 1
    if errors <= 3 then io.stderr:write("HTTP " .. status .. ": " .. body:sub(1, 200) .. "\n") end
  end
end
