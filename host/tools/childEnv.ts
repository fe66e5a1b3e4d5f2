/**
 * Variable names that hold credentials by convention. An approved command runs what a model chose, so it must not
 * find the host's keys in its environment: `echo $OPENAI_API_KEY` would hand them to the model.
 */
const SECRET_NAME = /(^|_)(API_?KEY|KEY|SECRET|SECRET_?KEY|TOKEN|PAT|JWT|PASS|PASSWORD|PASSWD|PWD_?HASH|CREDENTIALS?|PRIVATE|AUTH|SESSION|COOKIE|CERT_?PASS|PASSPHRASE|DSN|CONNECTION_?STRING)(_|$)|SECRETKEY$|(^|_)(POSTGRES(QL)?|PG|MYSQL|MARIADB|MONGO(DB)?|REDIS|AMQP|RABBITMQ|BROKER|CELERY_BROKER|DATABASE|DB)_?(URL|URI|PASS)$/i;
/** Well-known credential variables whose names the pattern above does not catch. */
const SECRET_NAMES: ReadonlySet<string> = new Set([
  'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_SESSION_TOKEN', 'GOOGLE_APPLICATION_CREDENTIALS', 'AZURE_CLIENT_SECRET',
  'DATABASE_URL', 'REDIS_URL', 'MONGODB_URI', 'MONGO_URL', 'PGPASSWORD', 'MYSQL_PWD', 'NPM_CONFIG__AUTH', 'DOCKER_AUTH_CONFIG',
  'SSH_AUTH_SOCK', 'GPG_AGENT_INFO', 'KUBECONFIG', 'VAULT_ADDR',
]);

/** Whether a variable of this name is kept from child processes unless the user passes it on by name. */
export function isSecretVariable(name: string): boolean {
  return SECRET_NAMES.has(name.toUpperCase()) || SECRET_NAME.test(name);
}

/**
 * The environment for a child process a run starts: the host's own, less every variable that looks like a
 * credential (and Keel's own keys), plus those the user listed in `keel.tools.passEnv`.
 */
export function childEnvironment(passEnv: readonly string[], env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const pass = new Set(passEnv);
  const child: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(env)) {
    if (value !== undefined && (pass.has(name) || !isSecretVariable(name))) child[name] = value;
  }
  return child;
}
