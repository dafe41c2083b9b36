// The AWS SDK for JavaScript v3 against a brownfield `orgnb sandbox`: the Organizations, IAM, STS and Account
// Management operations the runbook calls (orgnb/phase_operations.json), and the errors it handles, each checked as
// a typed result (fields present) or a typed exception (instanceof the SDK's class, its name).
//
// Environment: what `orgnb sandbox` exports (AWS_ENDPOINT_URL, AWS_CONFIG_FILE, AWS_SHARED_CREDENTIALS_FILE).
// Prints one JSON object: {"checks": [{"name", "operations", "ok", "detail"}]}; exits 0 even when a check fails
// (tests/interop/test_interop.py reads the summary and names what failed).
import * as Org from "@aws-sdk/client-organizations";
import * as Iam from "@aws-sdk/client-iam";
import * as Sts from "@aws-sdk/client-sts";
import * as Account from "@aws-sdk/client-account";

const REGION = "us-east-1";
const ENDPOINT = process.env.AWS_ENDPOINT_URL;
const UNKNOWN_ACCOUNT = "999988887777";
const checks = [];
// AWS's Content-Type by protocol: JSON 1.1 (Organizations), query with XML answers (IAM, STS), REST-JSON (Account)
const CONTENT_TYPES = {
  organizations: "application/x-amz-json-1.1",
  iam: "text/xml",
  sts: "text/xml",
  account: "application/json",
};
const seenContentTypes = Object.fromEntries(Object.keys(CONTENT_TYPES).map((service) => [service, new Set()]));

class CheckFailed extends Error {}

function expect(condition, message) {
  if (!condition) throw new CheckFailed(message);
}

function clients(options) {
  const config = { region: REGION, ...options };
  const made = {
    org: new Org.OrganizationsClient(config),
    iam: new Iam.IAMClient(config),
    sts: new Sts.STSClient(config),
    account: new Account.AccountClient(config),
  };
  for (const [service, client] of [["organizations", made.org], ["iam", made.iam], ["sts", made.sts], ["account", made.account]]) {
    client.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        seenContentTypes[service].add((result.response.headers["content-type"] ?? "").split(";")[0].trim());
        return result;
      },
      { step: "deserialize", name: "recordContentType" },
    );
  }
  return made;
}

async function check(name, operations, body) {
  try {
    const detail = await body();
    checks.push({ name, operations, ok: true, detail: detail ?? null });
  } catch (err) {
    const detail = err instanceof CheckFailed ? err.message : `${err?.name}: ${err?.message}`;
    checks.push({ name, operations, ok: false, detail });
  }
}

// The exception `promise` rejects with: an instance of `cls` named `name` (a resolved promise fails the check).
async function expectError(promise, cls, name) {
  try {
    await promise;
  } catch (err) {
    expect(err instanceof cls, `${err?.name} (${err?.constructor?.name}) is not an instance of ${cls.name}: ${err?.message}`);
    expect(err.name === name, `expected ${name}, got ${err.name}`);
    expect(typeof err.$metadata?.httpStatusCode === "number", `${name} carries no HTTP status`);
    return { error: err.name, status: err.$metadata.httpStatusCode };
  }
  throw new CheckFailed(`expected ${name}, the call succeeded`);
}

async function createdAccount(org, request) {
  const started = await org.send(new Org.CreateAccountCommand(request));
  const id = started.CreateAccountStatus?.Id;
  expect(id, "CreateAccount returned no request id");
  for (;;) {
    const { CreateAccountStatus: status } = await org.send(new Org.DescribeCreateAccountStatusCommand({ CreateAccountRequestId: id }));
    if (status.State === "IN_PROGRESS") {
      await new Promise((resolve) => setTimeout(resolve, 100));
      continue;
    }
    expect(status.State === "SUCCEEDED", `CreateAccount ended ${status.State}: ${status.FailureReason}`);
    expect(status.FailureReason === undefined, `a SUCCEEDED request carries FailureReason ${status.FailureReason}`);
    return { requestId: id, accountId: status.AccountId };
  }
}

async function passcode(address) {
  const response = await fetch(`${ENDPOINT}/orgnb-api/mailbox?address=${encodeURIComponent(address)}`);
  const mails = await response.json();
  const match = /is (\w+)$/.exec(mails.at(-1)?.body ?? "");
  expect(match, `no passcode mailed to ${address}`);
  return match[1];
}

async function main() {
  const mgmt = clients({ profile: "management" });
  const standalone = clients({ profile: "standalone" });
  const state = {};

  await check("identity of the management profile", ["sts:GetCallerIdentity"], async () => {
    const me = await mgmt.sts.send(new Sts.GetCallerIdentityCommand({}));
    expect(/^\d{12}$/.test(me.Account) && me.Arn.startsWith("arn:aws:iam::"), `identity ${JSON.stringify(me)}`);
    state.management = me.Account;
  });
  await check("no organization yet: DescribeOrganization", ["organizations:DescribeOrganization"], () =>
    expectError(mgmt.org.send(new Org.DescribeOrganizationCommand({})), Org.AWSOrganizationsNotInUseException, "AWSOrganizationsNotInUseException"),
  );
  await check("account information and name", ["account:GetAccountInformation", "account:PutAccountName"], async () => {
    await mgmt.account.send(new Account.PutAccountNameCommand({ AccountName: "Example Management" }));
    const info = await mgmt.account.send(new Account.GetAccountInformationCommand({}));
    expect(info.AccountId === state.management && info.AccountName === "Example Management", `information ${JSON.stringify(info)}`);
    expect(info.AccountCreatedDate instanceof Date, "AccountCreatedDate is not a Date");
  });
  await check("contact information", ["account:PutContactInformation", "account:GetContactInformation"], async () => {
    const contact = {
      FullName: "Example Ops", AddressLine1: "1 Example Street", City: "Seattle", PostalCode: "98101",
      CountryCode: "US", PhoneNumber: "+12065550100", StateOrRegion: "WA",
    };
    await mgmt.account.send(new Account.PutContactInformationCommand({ ContactInformation: contact }));
    const got = (await mgmt.account.send(new Account.GetContactInformationCommand({}))).ContactInformation;
    expect(got?.FullName === contact.FullName && got?.PostalCode === contact.PostalCode, `contact ${JSON.stringify(got)}`);
  });
  await check("alternate contact: missing, then set", ["account:GetAlternateContact", "account:PutAlternateContact"], async () => {
    const missing = await expectError(
      mgmt.account.send(new Account.GetAlternateContactCommand({ AlternateContactType: "SECURITY" })),
      Account.ResourceNotFoundException, "ResourceNotFoundException",
    );
    const contact = { AlternateContactType: "SECURITY", Name: "Sec", Title: "CISO", EmailAddress: "sec@example.com", PhoneNumber: "+12065550101" };
    await mgmt.account.send(new Account.PutAlternateContactCommand(contact));
    const got = (await mgmt.account.send(new Account.GetAlternateContactCommand({ AlternateContactType: "SECURITY" }))).AlternateContact;
    expect(got?.EmailAddress === contact.EmailAddress && got?.AlternateContactType === "SECURITY", `alternate ${JSON.stringify(got)}`);
    return missing;
  });
  await check("IAM account summary", ["iam:GetAccountSummary"], async () => {
    const summary = (await mgmt.iam.send(new Iam.GetAccountSummaryCommand({}))).SummaryMap;
    expect(typeof summary?.AccountMFAEnabled === "number" && typeof summary?.Users === "number", `summary ${JSON.stringify(summary)}`);
  });
  await check("create the organization", ["organizations:CreateOrganization", "organizations:DescribeOrganization", "organizations:ListRoots"], async () => {
    const created = (await mgmt.org.send(new Org.CreateOrganizationCommand({ FeatureSet: "ALL" }))).Organization;
    expect(/^o-[a-z0-9]{10,32}$/.test(created.Id) && created.FeatureSet === "ALL", `organization ${JSON.stringify(created)}`);
    const described = (await mgmt.org.send(new Org.DescribeOrganizationCommand({}))).Organization;
    expect(described.MasterAccountId === state.management, `master ${described.MasterAccountId}`);
    const roots = (await mgmt.org.send(new Org.ListRootsCommand({}))).Roots;
    expect(roots.length === 1 && /^r-/.test(roots[0].Id), `roots ${JSON.stringify(roots)}`);
    state.root = roots[0].Id;
  });
  await check("a second organization: AlreadyInOrganizationException", ["organizations:CreateOrganization"], () =>
    expectError(mgmt.org.send(new Org.CreateOrganizationCommand({ FeatureSet: "ALL" })), Org.AlreadyInOrganizationException, "AlreadyInOrganizationException"),
  );
  await check("an unknown account: AccountNotFoundException", [], () =>
    expectError(mgmt.org.send(new Org.DescribeAccountCommand({ AccountId: UNKNOWN_ACCOUNT })), Org.AccountNotFoundException, "AccountNotFoundException"),
  );
  await check("an unknown request: CreateAccountStatusNotFoundException", [], () =>
    expectError(
      mgmt.org.send(new Org.DescribeCreateAccountStatusCommand({ CreateAccountRequestId: "car-0123456789abcdef0123456789abcdef" })),
      Org.CreateAccountStatusNotFoundException, "CreateAccountStatusNotFoundException",
    ),
  );
  await check("trusted access", ["organizations:EnableAWSServiceAccess", "organizations:ListAWSServiceAccessForOrganization"], async () => {
    for (const principal of ["account.amazonaws.com", "iam.amazonaws.com", "guardduty.amazonaws.com"]) {
      await mgmt.org.send(new Org.EnableAWSServiceAccessCommand({ ServicePrincipal: principal }));
    }
    const enabled = (await mgmt.org.send(new Org.ListAWSServiceAccessForOrganizationCommand({}))).EnabledServicePrincipals;
    const names = enabled.map((p) => p.ServicePrincipal);
    expect(names.includes("account.amazonaws.com") && enabled[0].DateEnabled instanceof Date, `enabled ${JSON.stringify(enabled)}`);
  });
  await check("an OU", ["organizations:CreateOrganizationalUnit", "organizations:ListOrganizationalUnitsForParent"], async () => {
    const ou = (await mgmt.org.send(new Org.CreateOrganizationalUnitCommand({ ParentId: state.root, Name: "Workloads" }))).OrganizationalUnit;
    expect(/^ou-/.test(ou.Id) && ou.Arn, `OU ${JSON.stringify(ou)}`);
    const listed = (await mgmt.org.send(new Org.ListOrganizationalUnitsForParentCommand({ ParentId: state.root }))).OrganizationalUnits;
    expect(listed.some((u) => u.Id === ou.Id && u.Name === "Workloads"), `OUs ${JSON.stringify(listed)}`);
    state.ou = ou.Id;
  });
  await check("an account created, listed, tagged and moved", [
    "organizations:CreateAccount", "organizations:DescribeCreateAccountStatus", "organizations:ListCreateAccountStatus",
    "organizations:ListAccounts", "organizations:ListAccountsForParent", "organizations:ListParents",
    "organizations:MoveAccount", "organizations:ListTagsForResource",
  ], async () => {
    const made = await createdAccount(mgmt.org, { AccountName: "Workload One", Email: "workload-one@example.com", Tags: [{ Key: "team", Value: "one" }] });
    state.member = made.accountId;
    const requests = (await mgmt.org.send(new Org.ListCreateAccountStatusCommand({ States: ["SUCCEEDED"] }))).CreateAccountStatuses;
    expect(requests.some((r) => r.Id === made.requestId), `requests ${JSON.stringify(requests)}`);
    const accounts = (await mgmt.org.send(new Org.ListAccountsCommand({}))).Accounts;
    expect(accounts.some((a) => a.Id === made.accountId && a.Status === "ACTIVE" && a.JoinedTimestamp instanceof Date), "ListAccounts lacks the account");
    const inRoot = (await mgmt.org.send(new Org.ListAccountsForParentCommand({ ParentId: state.root }))).Accounts;
    expect(inRoot.some((a) => a.Id === made.accountId), "ListAccountsForParent(root) lacks the account");
    await mgmt.org.send(new Org.MoveAccountCommand({ AccountId: made.accountId, SourceParentId: state.root, DestinationParentId: state.ou }));
    const parents = (await mgmt.org.send(new Org.ListParentsCommand({ ChildId: made.accountId }))).Parents;
    expect(parents.length === 1 && parents[0].Id === state.ou && parents[0].Type === "ORGANIZATIONAL_UNIT", `parents ${JSON.stringify(parents)}`);
    const tags = (await mgmt.org.send(new Org.ListTagsForResourceCommand({ ResourceId: made.accountId }))).Tags;
    expect(tags.some((t) => t.Key === "team" && t.Value === "one"), `tags ${JSON.stringify(tags)}`);
  });
  await check("an SCP created and attached", [
    "organizations:CreatePolicy", "organizations:DescribePolicy", "organizations:AttachPolicy", "organizations:ListPolicies",
    "organizations:ListPoliciesForTarget", "organizations:ListTargetsForPolicy",
  ], async () => {
    const content = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Deny", Action: "organizations:LeaveOrganization", Resource: "*" }] });
    const created = (await mgmt.org.send(new Org.CreatePolicyCommand({ Name: "deny-leave", Description: "stay", Type: "SERVICE_CONTROL_POLICY", Content: content }))).Policy;
    const id = created.PolicySummary.Id;
    const described = (await mgmt.org.send(new Org.DescribePolicyCommand({ PolicyId: id }))).Policy;
    expect(JSON.parse(described.Content).Statement[0].Effect === "Deny", `policy ${JSON.stringify(described)}`);
    await mgmt.org.send(new Org.AttachPolicyCommand({ PolicyId: id, TargetId: state.ou }));
    const all = (await mgmt.org.send(new Org.ListPoliciesCommand({ Filter: "SERVICE_CONTROL_POLICY" }))).Policies;
    expect(all.some((p) => p.Id === id) && all.some((p) => p.AwsManaged), `policies ${JSON.stringify(all)}`);
    const onOu = (await mgmt.org.send(new Org.ListPoliciesForTargetCommand({ TargetId: state.ou, Filter: "SERVICE_CONTROL_POLICY" }))).Policies;
    expect(onOu.some((p) => p.Id === id), `OU policies ${JSON.stringify(onOu)}`);
    const targets = (await mgmt.org.send(new Org.ListTargetsForPolicyCommand({ PolicyId: id }))).Targets;
    expect(targets.some((t) => t.TargetId === state.ou && t.Type === "ORGANIZATIONAL_UNIT"), `targets ${JSON.stringify(targets)}`);
  });
  await check("a delegated administrator", [
    "organizations:RegisterDelegatedAdministrator", "organizations:ListDelegatedAdministrators", "organizations:ListDelegatedServicesForAccount",
  ], async () => {
    await mgmt.org.send(new Org.RegisterDelegatedAdministratorCommand({ AccountId: state.member, ServicePrincipal: "guardduty.amazonaws.com" }));
    const admins = (await mgmt.org.send(new Org.ListDelegatedAdministratorsCommand({}))).DelegatedAdministrators;
    expect(admins.some((a) => a.Id === state.member && a.DelegationEnabledDate instanceof Date), `admins ${JSON.stringify(admins)}`);
    const services = (await mgmt.org.send(new Org.ListDelegatedServicesForAccountCommand({ AccountId: state.member }))).DelegatedServices;
    expect(services.some((s) => s.ServicePrincipal === "guardduty.amazonaws.com"), `services ${JSON.stringify(services)}`);
  });
  await check("an invitation", ["organizations:InviteAccountToOrganization", "organizations:ListHandshakesForOrganization"], async () => {
    const target = (await standalone.sts.send(new Sts.GetCallerIdentityCommand({}))).Account;
    const handshake = (await mgmt.org.send(new Org.InviteAccountToOrganizationCommand({ Target: { Id: target, Type: "ACCOUNT" } }))).Handshake;
    expect(/^h-/.test(handshake.Id) && handshake.State === "OPEN", `handshake ${JSON.stringify(handshake)}`);
    const listed = (await mgmt.org.send(new Org.ListHandshakesForOrganizationCommand({}))).Handshakes;
    expect(listed.some((h) => h.Id === handshake.Id), `handshakes ${JSON.stringify(listed)}`);
    state.standalone = target;
  });
  await check("into the member through its access role", ["sts:AssumeRole", "iam:ListRoles"], async () => {
    const role = `arn:aws:iam::${state.member}:role/OrganizationAccountAccessRole`;
    const { Credentials: c } = await mgmt.sts.send(new Sts.AssumeRoleCommand({ RoleArn: role, RoleSessionName: "interop" }));
    expect(c.AccessKeyId && c.SecretAccessKey && c.SessionToken && c.Expiration instanceof Date, "AssumeRole returned no credentials");
    const member = clients({ credentials: { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken } });
    const me = await member.sts.send(new Sts.GetCallerIdentityCommand({}));
    expect(me.Account === state.member && me.Arn.includes(":assumed-role/OrganizationAccountAccessRole/interop"), `identity ${me.Arn}`);
    const roles = (await member.iam.send(new Iam.ListRolesCommand({}))).Roles;
    expect(roles.some((r) => r.RoleName === "OrganizationAccountAccessRole" && r.CreateDate instanceof Date), "ListRoles lacks the access role");
  });
  await check("AssumeRole from outside the organization: AccessDenied", [], () =>
    expectError(
      standalone.sts.send(new Sts.AssumeRoleCommand({ RoleArn: `arn:aws:iam::${state.member}:role/OrganizationAccountAccessRole`, RoleSessionName: "x" })),
      Sts.STSServiceException, "AccessDenied",
    ),
  );
  await check("a member's primary email", ["account:StartPrimaryEmailUpdate", "account:AcceptPrimaryEmailUpdate"], async () => {
    const address = "workload-one-new@example.com";
    const started = await mgmt.account.send(new Account.StartPrimaryEmailUpdateCommand({ AccountId: state.member, PrimaryEmail: address }));
    expect(started.Status === "PENDING", `started ${JSON.stringify(started)}`);
    const wrong = await expectError(
      mgmt.account.send(new Account.AcceptPrimaryEmailUpdateCommand({ AccountId: state.member, PrimaryEmail: address, Otp: "000000" })),
      Account.ValidationException, "ValidationException",
    );
    const otp = await passcode(address);
    const accepted = await mgmt.account.send(new Account.AcceptPrimaryEmailUpdateCommand({ AccountId: state.member, PrimaryEmail: address, Otp: otp }));
    expect(accepted.Status === "ACCEPTED", `accepted ${JSON.stringify(accepted)}`);
    return wrong;
  });
  await check("root access centralized", [
    "iam:EnableOrganizationsRootCredentialsManagement", "iam:EnableOrganizationsRootSessions", "iam:ListOrganizationsFeatures", "sts:AssumeRoot",
  ], async () => {
    await mgmt.iam.send(new Iam.EnableOrganizationsRootCredentialsManagementCommand({}));
    await mgmt.iam.send(new Iam.EnableOrganizationsRootSessionsCommand({}));
    const features = (await mgmt.iam.send(new Iam.ListOrganizationsFeaturesCommand({}))).EnabledFeatures;
    expect(features.includes("RootCredentialsManagement") && features.includes("RootSessions"), `features ${JSON.stringify(features)}`);
    const { Credentials: c } = await mgmt.sts.send(new Sts.AssumeRootCommand({
      TargetPrincipal: state.member, TaskPolicyArn: { arn: "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials" },
    }));
    expect(c.AccessKeyId && c.SessionToken && c.Expiration instanceof Date, "AssumeRoot returned no credentials");
  });
  await check("an IAM entity that is not there: NoSuchEntityException", [], () =>
    expectError(mgmt.iam.send(new Iam.GetRoleCommand({ RoleName: "no-such-role" })), Iam.NoSuchEntityException, "NoSuchEntityException"),
  );
  await check("Content-Type as each protocol requires", [], async () => {
    const seen = Object.fromEntries(Object.entries(seenContentTypes).map(([service, types]) => [service, [...types]]));
    for (const [service, expected] of Object.entries(CONTENT_TYPES)) {
      expect(seen[service].length > 0 && seen[service].every((t) => t === expected), `${service} answered ${seen[service]}, AWS sends ${expected}`);
    }
    return seen;
  });
  process.stdout.write(`${JSON.stringify({ checks }, null, 1)}\n`);
}

await main();
