import type { Finding } from './finding.js';
import type { Repo } from './repo.js';

const JVM_FRAMEWORKS: readonly [RegExp, string][] = [
  [/org\.springframework\.boot/, 'Spring Boot'],
  [/io\.quarkus/, 'Quarkus'],
  [/io\.micronaut/, 'Micronaut'],
  [/io\.ktor/, 'Ktor'],
];
const JVM_TEST: readonly [RegExp, string][] = [
  [/junit-jupiter|org\.junit\.jupiter/, 'JUnit 5'],
  [/<artifactId>junit<\/artifactId>|junit:junit/, 'JUnit 4'],
  [/org\.testng|testng/, 'TestNG'],
  [/io\.kotest/, 'Kotest'],
  [/mockito/, 'Mockito'],
];

/** Maven: dependencies whose `<scope>` is `test` are left out before looking for frameworks. */
function mavenRuntime(pom: string): string {
  return pom.replace(
    /<dependency>(?:(?!<\/dependency>)[\s\S])*?<scope>\s*test\s*<\/scope>[\s\S]*?<\/dependency>/g,
    '',
  );
}

/** Gradle: `testImplementation(...)` and the like are test-only. */
function gradleRuntime(build: string): string {
  return build
    .split(/\r?\n/)
    .filter((line) => !/^\s*test[A-Z]\w*\s*[( ]/.test(line))
    .join('\n');
}

function frameworks(text: string): string[] {
  return JVM_FRAMEWORKS.filter(([re]) => re.test(text)).map(([, label]) => label);
}

/** Maven and Gradle (Java, Kotlin, Scala). */
export function detectJvm(repo: Repo): Finding {
  const pom = repo.read('pom.xml');
  const gradleFile = ['build.gradle.kts', 'build.gradle'].find((f) => repo.has(f));
  const gradle = gradleFile === undefined ? undefined : repo.read(gradleFile);
  if (pom === undefined && gradle === undefined) return {};
  const all = `${pom ?? ''}\n${gradle ?? ''}`;
  const runtime = `${pom === undefined ? '' : mavenRuntime(pom)}\n${gradle === undefined ? '' : gradleRuntime(gradle)}`;
  const gradlew = repo.has('gradlew') ? './gradlew' : 'gradle';
  const finding: Finding = {
    package_managers: [],
    frameworks: frameworks(runtime),
    dev_frameworks: frameworks(all).filter((f) => !frameworks(runtime).includes(f)),
    test_frameworks: JVM_TEST.filter(([re]) => re.test(all)).map(([, label]) => label),
    build_tools: [],
    commands: {},
  };
  if (pom !== undefined) {
    finding.package_managers!.push({ name: 'maven', manifest: 'pom.xml', lockfile: null });
    finding.build_tools!.push('maven');
    finding.commands = { build: 'mvn -B package', test: 'mvn -B test' };
  }
  if (gradleFile !== undefined) {
    finding.package_managers!.push({ name: 'gradle', manifest: gradleFile, lockfile: null });
    finding.build_tools!.push('gradle');
    finding.commands = { build: `${gradlew} build`, test: `${gradlew} test`, ...finding.commands };
  }
  return finding;
}
