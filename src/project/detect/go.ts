import type { Finding } from './finding.js';
import { pick, type Repo } from './repo.js';

const GO_FRAMEWORKS: Record<string, string> = {
  'github.com/gin-gonic/gin': 'Gin',
  'github.com/labstack/echo': 'Echo',
  'github.com/gofiber/fiber': 'Fiber',
  'github.com/go-chi/chi': 'chi',
  'github.com/spf13/cobra': 'Cobra',
  'google.golang.org/grpc': 'gRPC',
};

/** Go modules: go.mod has no separate test dependencies, so every framework it requires counts. */
export function detectGo(repo: Repo): Finding {
  const goMod = repo.read('go.mod');
  if (goMod === undefined) return {};
  const module = /^module\s+(\S+)/m.exec(goMod)?.[1];
  return {
    project_name: module?.slice(module.lastIndexOf('/') + 1),
    package_managers: [
      { name: 'go modules', manifest: 'go.mod', lockfile: repo.has('go.sum') ? 'go.sum' : null },
    ],
    frameworks: pick(GO_FRAMEWORKS, (d) => goMod.includes(d)),
    test_frameworks: ['go test', ...(goMod.includes('github.com/stretchr/testify') ? ['testify'] : [])],
    build_tools: ['go'],
    commands: { build: 'go build ./...', test: 'go test ./...', lint: 'go vet ./...' },
  };
}
