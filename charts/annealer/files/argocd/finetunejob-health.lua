-- Argo CD resource health check for annealer.dev/FineTuneJob.
-- Install: argocd-cm key resource.customizations.health.annealer.dev_FineTuneJob (see docs/guides/gitops.md).
-- Like Argo CD's check for batch/v1 Job: Healthy once training succeeded, Progressing while it waits or trains,
-- Suspended while spec.suspend holds it, Degraded when it failed or its spec was rejected (Stalled).
local hs = { status = "Progressing", message = "waiting for the Annealer operator to reconcile the job" }
if obj.status == nil or obj.status.conditions == nil then
  return hs
end
local gen = obj.metadata and obj.metadata.generation
if gen ~= nil and (obj.status.observedGeneration == nil or obj.status.observedGeneration < gen) then
  hs.message = "waiting for the Annealer operator to act on generation " .. tostring(gen)
  return hs
end
local c = {}
for _, cond in ipairs(obj.status.conditions) do
  if cond.type ~= nil then
    c[cond.type] = cond
  end
end
local function isTrue(t)
  return c[t] ~= nil and c[t].status == "True"
end
local function describe(t)
  local cond = c[t]
  if cond == nil then
    return t
  end
  local text = cond.reason or t
  if cond.message ~= nil and cond.message ~= "" then
    text = text .. ": " .. cond.message
  end
  return text
end
if isTrue("Failed") then
  hs.status = "Degraded"
  hs.message = describe("Failed")
elseif isTrue("Succeeded") then
  hs.status = "Healthy"
  hs.message = "training completed"
  if obj.status.finalModel ~= nil then
    hs.message = hs.message .. "; model at " .. obj.status.finalModel
  end
elseif isTrue("Stalled") then
  hs.status = "Degraded"
  hs.message = describe("Stalled")
elseif isTrue("Suspended") and obj.status.phase == "Suspended" then
  hs.status = "Suspended"
  hs.message = describe("Suspended")
elseif isTrue("Running") then
  hs.message = "training"
  if obj.status.step ~= nil then
    hs.message = hs.message .. " at step " .. tostring(obj.status.step)
  end
  local s = obj.status.schedule
  if s ~= nil and s.cycle ~= nil and s.learningRate ~= nil then
    hs.message = hs.message .. ", cycle " .. tostring(s.cycle) .. ", lr " .. string.format("%.3g", s.learningRate)
  end
elseif c["Reconciling"] ~= nil then
  hs.message = describe("Reconciling")
end
return hs
